// Unit tests for choosing, naming and cloning an execution's repositories,
// against bare repositories built in a temporary directory.
#include "syn/workspace_hydrator.h"

#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/bare_repository.h"

namespace fs = std::filesystem;
using syn::testing::BareRepository;
using syn::testing::TemporaryDirectory;
using syn::workspace::HydratedWorkspace;
using syn::workspace::HydrationError;
using syn::workspace::PlannedRepository;
using syn::workspace::RepositorySources;

namespace {

RepositorySources sourcesWith(std::vector<std::string> executionRepos) {
    RepositorySources sources;
    sources.executionId = "exec-0123456789ab";
    sources.workflowId = "review";
    sources.executionRepos = std::move(executionRepos);
    return sources;
}

std::vector<std::string> directoriesOf(const std::vector<PlannedRepository>& planned) {
    std::vector<std::string> directories;
    for (const PlannedRepository& repository : planned) {
        directories.push_back(repository.directory);
    }
    return directories;
}

std::string readFile(const fs::path& path) {
    std::ifstream file(path);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

}  // namespace

class WorkspaceHydratorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WorkspaceHydratorTest);
    CPPUNIT_TEST(entryFormsParsed);
    CPPUNIT_TEST(invalidEntriesRejected);
    CPPUNIT_TEST(executionReposWin);
    CPPUNIT_TEST(workflowReposUsedWithoutRequestRepos);
    CPPUNIT_TEST(repositoryUrlInputsSubstituted);
    CPPUNIT_TEST(repositoryUrlMissingInputRejected);
    CPPUNIT_TEST(repositoryUrlEmptyMeansNone);
    CPPUNIT_TEST(duplicatesClonedOnce);
    CPPUNIT_TEST(sharedNamesGetOwnerPrefix);
    CPPUNIT_TEST(collidingDirectoriesNumbered);
    CPPUNIT_TEST(escapingEntryRejectedBeforeCloning);
    CPPUNIT_TEST(hydrateClonesSeveral);
    CPPUNIT_TEST(hydrateSharedNames);
    CPPUNIT_TEST(hydrateReusesCompletedClone);
    CPPUNIT_TEST(hydrateChecksOutWorkflowRef);
    CPPUNIT_TEST(hydrateFailureNamesRepository);
    CPPUNIT_TEST(hydrateWithoutRepositories);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        remotes_ = std::make_unique<TemporaryDirectory>();
        workspace_ = std::make_unique<TemporaryDirectory>();
        BareRepository widgets(remotes_->path(), "acme", "widgets");
        widgets.commit({{"AGENTS.md", "acme widgets rules\n"}}, "Add agent rules");
        widgets.branch("release");
        releaseCommit_ = widgets.commit({{"release.txt", "1.0\n"}}, "Prepare the release");
        BareRepository otherWidgets(remotes_->path(), "other", "widgets");
        otherWidgets.commit({{"CLAUDE.md", "other widgets rules\n"}}, "Add Claude rules");
        BareRepository gadgets(remotes_->path(), "acme", "gadgets");
        gadgets.commit({{"README.md", "gadgets\n"}}, "Add the readme");
    }

    void tearDown() override {
        workspace_.reset();
        remotes_.reset();
    }

    void entryFormsParsed() {
        for (const char* entry :
             {"acme/widgets", "https://github.com/acme/widgets", "https://github.com/acme/widgets/",
              "https://github.com/acme/widgets.git", "http://GitHub.com/acme/widgets.git/"}) {
            auto slug = syn::workspace::parseRepositoryEntry(entry);
            CPPUNIT_ASSERT_MESSAGE(entry, slug.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), slug->text());
        }
    }

    void invalidEntriesRejected() {
        for (const char* entry :
             {"widgets", "../widgets", "acme/..", "./x", "acme/wid gets", "acme/widgets/extra",
              "https://gitlab.com/acme/widgets", "https://github.com/acme", "ftp://github.com/a/b",
              "acme/", "/widgets", ""}) {
            CPPUNIT_ASSERT_MESSAGE(entry, !syn::workspace::parseRepositoryEntry(entry));
        }
    }

    void executionReposWin() {
        RepositorySources sources = sourcesWith({"acme/widgets"});
        sources.workflowRepos = {"acme/gadgets"};
        sources.workflowRepositoryUrl = "https://github.com/acme/tools";
        auto planned = syn::workspace::planRepositories(sources);
        CPPUNIT_ASSERT_EQUAL(size_t(1), planned.size());
        CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), planned[0].slug.text());
        CPPUNIT_ASSERT_EQUAL(std::string("widgets"), planned[0].directory);
    }

    void workflowReposUsedWithoutRequestRepos() {
        RepositorySources sources = sourcesWith({});
        sources.workflowRepos = {"https://github.com/acme/gadgets.git", "acme/widgets"};
        sources.workflowRepositoryUrl = "https://github.com/acme/tools";
        auto planned = syn::workspace::planRepositories(sources);
        CPPUNIT_ASSERT_EQUAL(size_t(2), planned.size());
        CPPUNIT_ASSERT_EQUAL(std::string("acme/gadgets"), planned[0].slug.text());
        CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), planned[1].slug.text());
    }

    void repositoryUrlInputsSubstituted() {
        RepositorySources sources = sourcesWith({});
        sources.workflowRepositoryUrl = "https://github.com/{{owner}}/{{ project }}";
        sources.inputs = {{"owner", "acme"}, {"project", "widgets"}};
        auto planned = syn::workspace::planRepositories(sources);
        CPPUNIT_ASSERT_EQUAL(size_t(1), planned.size());
        CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), planned[0].slug.text());
    }

    void repositoryUrlMissingInputRejected() {
        RepositorySources sources = sourcesWith({});
        sources.workflowRepositoryUrl = "https://github.com/acme/{{project}}";
        try {
            syn::workspace::planRepositories(sources);
            CPPUNIT_FAIL("a placeholder without an input was accepted");
        } catch (const HydrationError& error) {
            CPPUNIT_ASSERT_EQUAL(std::string("The repository URL of workflow review uses "
                                             "{{project}}, but the execution has no input "
                                             "'project'; pass it in the request's inputs"),
                                 std::string(error.what()));
        }
    }

    void repositoryUrlEmptyMeansNone() {
        RepositorySources sources = sourcesWith({});
        sources.workflowRepositoryUrl = "{{repository_url}}";
        sources.inputs = {{"repository_url", ""}};
        CPPUNIT_ASSERT(syn::workspace::planRepositories(sources).empty());
    }

    void duplicatesClonedOnce() {
        auto planned = syn::workspace::planRepositories(
            sourcesWith({"acme/widgets", "https://github.com/acme/widgets", "ACME/Widgets"}));
        CPPUNIT_ASSERT_EQUAL(size_t(1), planned.size());
        CPPUNIT_ASSERT_EQUAL(std::string("widgets"), planned[0].directory);
    }

    void sharedNamesGetOwnerPrefix() {
        auto planned = syn::workspace::planRepositories(
            sourcesWith({"acme/widgets", "acme/gadgets", "other/widgets"}));
        std::vector<std::string> expected{"acme-widgets", "gadgets", "other-widgets"};
        CPPUNIT_ASSERT(expected == directoriesOf(planned));
    }

    void collidingDirectoriesNumbered() {
        auto planned =
            syn::workspace::planRepositories(sourcesWith({"a-b/c", "a/b-c", "x/c", "y/b-c"}));
        std::vector<std::string> expected{"a-b-c", "a-b-c-2", "x-c", "y-b-c"};
        CPPUNIT_ASSERT(expected == directoriesOf(planned));
    }

    void escapingEntryRejectedBeforeCloning() {
        RepositorySources sources = sourcesWith({"acme/widgets", "../etc"});
        CPPUNIT_ASSERT_THROW(hydrator().hydrate(sources, workspace_->path()), HydrationError);
        CPPUNIT_ASSERT(!fs::exists(workspace_->path() / "repos"));
    }

    void hydrateClonesSeveral() {
        HydratedWorkspace hydrated =
            hydrator().hydrate(sourcesWith({"acme/widgets", "acme/gadgets"}), workspace_->path());
        fs::path widgets = workspace_->path() / "repos" / "widgets";
        fs::path gadgets = workspace_->path() / "repos" / "gadgets";
        CPPUNIT_ASSERT_EQUAL(size_t(2), hydrated.repositories.size());
        CPPUNIT_ASSERT(fs::exists(widgets / "AGENTS.md"));
        CPPUNIT_ASSERT(fs::exists(gadgets / "README.md"));
        CPPUNIT_ASSERT_EQUAL(widgets.string(), hydrated.repoUrl());
        CPPUNIT_ASSERT_EQUAL(widgets.string() + "\n" + gadgets.string(),
                             hydrated.agentEnvironment().at("SYN_REPOS"));
        CPPUNIT_ASSERT(!hydrated.repositories[0].reused);
    }

    void hydrateSharedNames() {
        hydrator().hydrate(sourcesWith({"acme/widgets", "other/widgets"}), workspace_->path());
        fs::path root = workspace_->path();
        CPPUNIT_ASSERT(fs::exists(root / "repos" / "acme-widgets" / "AGENTS.md"));
        CPPUNIT_ASSERT(fs::exists(root / "repos" / "other-widgets" / "CLAUDE.md"));
        std::string agents = readFile(root / "AGENTS.md");
        std::string claude = readFile(root / "CLAUDE.md");
        CPPUNIT_ASSERT(agents.find("- repos/acme-widgets/AGENTS.md\n") != std::string::npos);
        CPPUNIT_ASSERT(agents.find("- repos/other-widgets/CLAUDE.md\n") != std::string::npos);
        CPPUNIT_ASSERT(claude.find("@repos/acme-widgets/AGENTS.md\n") != std::string::npos);
        CPPUNIT_ASSERT(claude.find("@repos/other-widgets/CLAUDE.md\n") != std::string::npos);
    }

    void hydrateReusesCompletedClone() {
        fs::path widgets = workspace_->path() / "repos" / "widgets";
        fs::create_directories(widgets);
        std::ofstream(widgets / "marker") << "from the first attempt\n";
        HydratedWorkspace hydrated =
            hydrator().hydrate(sourcesWith({"acme/widgets"}), workspace_->path());
        CPPUNIT_ASSERT(hydrated.repositories[0].reused);
        CPPUNIT_ASSERT(fs::exists(widgets / "marker"));
        CPPUNIT_ASSERT(!fs::exists(widgets / ".git"));
    }

    void hydrateChecksOutWorkflowRef() {
        RepositorySources sources = sourcesWith({"acme/widgets"});
        sources.workflowRepositoryRef = "release";
        hydrator().hydrate(sources, workspace_->path());
        fs::path widgets = workspace_->path() / "repos" / "widgets";
        CPPUNIT_ASSERT_EQUAL(releaseCommit_, syn::testing::cloneHead(widgets));
    }

    void hydrateFailureNamesRepository() {
        try {
            hydrator().hydrate(sourcesWith({"acme/widgets", "acme/missing"}), workspace_->path());
            CPPUNIT_FAIL("cloning a missing repository succeeded");
        } catch (const HydrationError& error) {
            std::string message = error.what();
            CPPUNIT_ASSERT(message.starts_with("Cloning acme/missing failed: fatal: "));
        }
        CPPUNIT_ASSERT(fs::exists(workspace_->path() / "repos" / "widgets"));
        CPPUNIT_ASSERT(!fs::exists(workspace_->path() / "repos" / "missing"));
    }

    void hydrateWithoutRepositories() {
        HydratedWorkspace hydrated = hydrator().hydrate(sourcesWith({}), workspace_->path());
        CPPUNIT_ASSERT(hydrated.repositories.empty());
        CPPUNIT_ASSERT_EQUAL(std::string(), hydrated.repoUrl());
        CPPUNIT_ASSERT_EQUAL(std::string(), hydrated.agentEnvironment().at("SYN_REPOS"));
        CPPUNIT_ASSERT(!fs::exists(workspace_->path() / "AGENTS.md"));
    }

  private:
    syn::workspace::WorkspaceHydrator hydrator() const {
        syn::workspace::GitSettings settings;
        settings.urlTemplate = "file://" + remotes_->path().string() + "/{owner}/{name}.git";
        settings.timeout = std::chrono::seconds(30);
        return syn::workspace::WorkspaceHydrator(syn::workspace::RepositoryCloner(settings),
                                                 Poco::Logger::get("test.workspace"));
    }

    std::unique_ptr<TemporaryDirectory> remotes_;
    std::unique_ptr<TemporaryDirectory> workspace_;
    std::string releaseCommit_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(WorkspaceHydratorTest, "workspace_hydrator");
