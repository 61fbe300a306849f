// Unit tests for RepositoryCloner against bare repositories built in a
// temporary directory and reached through file:// URLs.
#include "syn/repository_cloner.h"

#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/bare_repository.h"
#include "../fixtures/silent_server.h"

namespace fs = std::filesystem;
using syn::testing::BareRepository;
using syn::testing::SilentServer;
using syn::testing::TemporaryDirectory;
using syn::workspace::CloneError;
using syn::workspace::GitSettings;
using syn::workspace::RepositoryCloner;
using syn::workspace::RepositorySlug;

namespace {

constexpr const char* kToken = "ghp_unitTestToken0123456789";

bool hasPartialSibling(const fs::path& target) {
    for (const auto& entry : fs::directory_iterator(target.parent_path())) {
        if (entry.path().filename().string().find(".partial-") != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

class RepositoryClonerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RepositoryClonerTest);
    CPPUNIT_TEST(cloneDefaultBranchShallow);
    CPPUNIT_TEST(cloneFullHistoryWithDepthZero);
    CPPUNIT_TEST(cloneAtBranch);
    CPPUNIT_TEST(cloneAtTag);
    CPPUNIT_TEST(cloneAtFullCommitIdShallow);
    CPPUNIT_TEST(cloneAtShortCommitId);
    CPPUNIT_TEST(missingRepositoryFailsCleanly);
    CPPUNIT_TEST(missingRefFailsCleanly);
    CPPUNIT_TEST(hangingCloneTimesOut);
    CPPUNIT_TEST(stalePartialRemoved);
    CPPUNIT_TEST(tokenNotInWorkspace);
    CPPUNIT_TEST(tokenOnlyForHttps);
    CPPUNIT_TEST(tokenScrubbedFromMessages);
    CPPUNIT_TEST(escapingSlugRejected);
    CPPUNIT_TEST(optionLikeRefRejected);
    CPPUNIT_TEST(slugPartValidation);
    CPPUNIT_TEST(cloneUrlFromTemplate);
    CPPUNIT_TEST(settingsFromConfig);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        remotes_ = std::make_unique<TemporaryDirectory>();
        workspace_ = std::make_unique<TemporaryDirectory>();
        widgets_ = std::make_unique<BareRepository>(remotes_->path(), "acme", "widgets");
        firstCommit_ = widgets_->commit({{"README.md", "first\n"}}, "Add the readme");
        widgets_->tag("v1.0");
        secondCommit_ = widgets_->commit({{"README.md", "second\n"}}, "Change the readme");
        widgets_->branch("feature");
        featureCommit_ = widgets_->commit({{"feature.txt", "feature\n"}}, "Add the feature");
        widgets_->switchTo("main");
    }

    void tearDown() override {
        widgets_.reset();
        workspace_.reset();
        remotes_.reset();
    }

    void cloneDefaultBranchShallow() {
        fs::path target = clone(settings(), std::nullopt);
        CPPUNIT_ASSERT(fs::exists(target / "README.md"));
        CPPUNIT_ASSERT_EQUAL(secondCommit_, syn::testing::cloneHead(target));
        CPPUNIT_ASSERT_EQUAL(std::string("true\n"),
                             git(target, {"rev-parse", "--is-shallow-repository"}));
        CPPUNIT_ASSERT(!hasPartialSibling(target));
    }

    void cloneFullHistoryWithDepthZero() {
        GitSettings full = settings();
        full.depth = 0;
        fs::path target = clone(full, std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string("false\n"),
                             git(target, {"rev-parse", "--is-shallow-repository"}));
        CPPUNIT_ASSERT_EQUAL(std::string("2\n"), git(target, {"rev-list", "--count", "HEAD"}));
    }

    void cloneAtBranch() {
        fs::path target = clone(settings(), "feature");
        CPPUNIT_ASSERT_EQUAL(featureCommit_, syn::testing::cloneHead(target));
        CPPUNIT_ASSERT(fs::exists(target / "feature.txt"));
    }

    void cloneAtTag() {
        fs::path target = clone(settings(), "v1.0");
        CPPUNIT_ASSERT_EQUAL(firstCommit_, syn::testing::cloneHead(target));
    }

    void cloneAtFullCommitIdShallow() {
        fs::path target = clone(settings(), firstCommit_);
        CPPUNIT_ASSERT_EQUAL(firstCommit_, syn::testing::cloneHead(target));
        CPPUNIT_ASSERT_EQUAL(std::string("true\n"),
                             git(target, {"rev-parse", "--is-shallow-repository"}));
    }

    void cloneAtShortCommitId() {
        fs::path target = clone(settings(), firstCommit_.substr(0, 10));
        CPPUNIT_ASSERT_EQUAL(firstCommit_, syn::testing::cloneHead(target));
    }

    void missingRepositoryFailsCleanly() {
        fs::path target = workspace_->path() / "repos" / "missing";
        RepositoryCloner cloner(settings());
        std::string message = failureOf(cloner, {"acme", "missing"}, std::nullopt, target);
        CPPUNIT_ASSERT(message.starts_with("Cloning acme/missing failed: "));
        CPPUNIT_ASSERT(message.find("missing.git") != std::string::npos);
        CPPUNIT_ASSERT(!fs::exists(target));
        CPPUNIT_ASSERT(!hasPartialSibling(target));
    }

    void missingRefFailsCleanly() {
        fs::path target = workspace_->path() / "repos" / "widgets";
        RepositoryCloner cloner(settings());
        std::string message = failureOf(cloner, {"acme", "widgets"}, "no-such-branch", target);
        CPPUNIT_ASSERT(message.starts_with("Cloning acme/widgets failed: "));
        CPPUNIT_ASSERT(message.find("no-such-branch") != std::string::npos);
        CPPUNIT_ASSERT(!fs::exists(target));
        CPPUNIT_ASSERT(!hasPartialSibling(target));
    }

    void hangingCloneTimesOut() {
        SilentServer server;
        GitSettings hanging = settings();
        hanging.urlTemplate = server.urlTemplate();
        hanging.timeout = std::chrono::seconds(1);
        fs::path target = workspace_->path() / "repos" / "widgets";

        auto started = std::chrono::steady_clock::now();
        std::string message =
            failureOf(RepositoryCloner(hanging), {"acme", "widgets"}, std::nullopt, target);
        auto elapsed = std::chrono::steady_clock::now() - started;

        CPPUNIT_ASSERT_EQUAL(
            std::string("Cloning acme/widgets failed: git timed out after 1 seconds "
                        "(git.timeout_seconds)"),
            message);
        CPPUNIT_ASSERT(elapsed < std::chrono::seconds(5));
        CPPUNIT_ASSERT(!fs::exists(target));
        CPPUNIT_ASSERT(!hasPartialSibling(target));
    }

    void stalePartialRemoved() {
        fs::path stale = workspace_->path() / "repos" / ".widgets.partial-dead";
        fs::create_directories(stale / "leftover");
        fs::path target = clone(settings(), std::nullopt);
        CPPUNIT_ASSERT(fs::exists(target / "README.md"));
        CPPUNIT_ASSERT(!fs::exists(stale));
    }

    void tokenNotInWorkspace() {
        GitSettings withToken = settings();
        withToken.token = kToken;
        fs::path target = clone(withToken, std::nullopt);
        CPPUNIT_ASSERT(fs::exists(target / "README.md"));
        CPPUNIT_ASSERT(!syn::testing::treeContains(workspace_->path(), kToken));
        CPPUNIT_ASSERT(!syn::testing::treeContains(workspace_->path(), "extraHeader"));
    }

    void tokenOnlyForHttps() {
        GitSettings withToken = settings();
        withToken.token = kToken;
        RepositoryCloner cloner(withToken);

        std::vector<std::string> https =
            cloner.credentialEnvironment("https://github.com/acme/widgets.git");
        CPPUNIT_ASSERT_EQUAL(size_t(3), https.size());
        CPPUNIT_ASSERT_EQUAL(std::string("GIT_CONFIG_COUNT=1"), https[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("GIT_CONFIG_KEY_0=http.extraHeader"), https[1]);
        // base64("x-access-token:ghp_unitTestToken0123456789")
        CPPUNIT_ASSERT_EQUAL(
            std::string("GIT_CONFIG_VALUE_0=Authorization: Basic "
                        "eC1hY2Nlc3MtdG9rZW46Z2hwX3VuaXRUZXN0VG9rZW4wMTIzNDU2Nzg5"),
            https[2]);
        CPPUNIT_ASSERT(cloner.credentialEnvironment("http://example.invalid/a.git").empty());
        CPPUNIT_ASSERT(cloner.credentialEnvironment("file:///srv/git/a.git").empty());
        CPPUNIT_ASSERT(RepositoryCloner(settings())
                           .credentialEnvironment("https://github.com/acme/widgets.git")
                           .empty());
    }

    void tokenScrubbedFromMessages() {
        GitSettings withToken = settings();
        withToken.token = kToken;
        RepositoryCloner cloner(withToken);
        std::string scrubbed =
            cloner.scrubSecrets(std::string("fatal: bad token ") + kToken + " in request");
        CPPUNIT_ASSERT_EQUAL(std::string("fatal: bad token *** in request"), scrubbed);
    }

    void escapingSlugRejected() {
        RepositoryCloner cloner(settings());
        fs::path target = workspace_->path() / "repos" / "x";
        for (RepositorySlug slug : {RepositorySlug{"..", "widgets"}, RepositorySlug{"acme", ".."},
                                    RepositorySlug{"acme", "a/b"}, RepositorySlug{"", "x"}}) {
            std::string message = failureOf(cloner, slug, std::nullopt, target);
            CPPUNIT_ASSERT(message.find("must match [A-Za-z0-9._-]+") != std::string::npos);
        }
        CPPUNIT_ASSERT(!fs::exists(target));
    }

    void optionLikeRefRejected() {
        fs::path target = workspace_->path() / "repos" / "widgets";
        std::string message =
            failureOf(RepositoryCloner(settings()), {"acme", "widgets"}, "--upload-pack=x", target);
        CPPUNIT_ASSERT(message.find("ref '--upload-pack=x' is invalid") != std::string::npos);
    }

    void slugPartValidation() {
        CPPUNIT_ASSERT(syn::workspace::isValidSlugPart("widgets"));
        CPPUNIT_ASSERT(syn::workspace::isValidSlugPart("my.repo_name-2"));
        CPPUNIT_ASSERT(syn::workspace::isValidSlugPart("..."));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart("."));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart(".."));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart(""));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart("a/b"));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart("a b"));
        CPPUNIT_ASSERT(!syn::workspace::isValidSlugPart("a\nb"));
    }

    void cloneUrlFromTemplate() {
        GitSettings custom;
        custom.urlTemplate = "file:///srv/git/{owner}/{name}.git";
        CPPUNIT_ASSERT_EQUAL(std::string("file:///srv/git/acme/widgets.git"),
                             RepositoryCloner(custom).cloneUrl({"acme", "widgets"}));
        CPPUNIT_ASSERT_EQUAL(std::string("https://github.com/acme/widgets.git"),
                             RepositoryCloner(GitSettings{}).cloneUrl({"acme", "widgets"}));
    }

    void settingsFromConfig() {
        fs::path tokenFile = workspace_->path() / "token";
        std::ofstream(tokenFile) << "  " << kToken << "\n";
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("git.url_template", "file:///srv/git/{owner}/{name}.git");
        config->setInt("git.depth", 0);
        config->setInt("git.timeout_seconds", 12);
        config->setString("git.token_file", tokenFile.string());

        GitSettings read = syn::workspace::gitSettingsFrom(*config);
        CPPUNIT_ASSERT_EQUAL(std::string("file:///srv/git/{owner}/{name}.git"), read.urlTemplate);
        CPPUNIT_ASSERT_EQUAL(0, read.depth);
        CPPUNIT_ASSERT_EQUAL(12LL, static_cast<long long>(read.timeout.count()));
        CPPUNIT_ASSERT_EQUAL(std::string(kToken), read.token);

        config->setString("git.token_file", (workspace_->path() / "absent").string());
        CPPUNIT_ASSERT_THROW(syn::workspace::gitSettingsFrom(*config),
                             Poco::InvalidArgumentException);
        config->setString("git.token_file", "");
        config->setInt("git.depth", -1);
        CPPUNIT_ASSERT_THROW(syn::workspace::gitSettingsFrom(*config),
                             Poco::InvalidArgumentException);
    }

  private:
    GitSettings settings() const {
        GitSettings settings;
        settings.urlTemplate = "file://" + remotes_->path().string() + "/{owner}/{name}.git";
        settings.depth = 1;
        settings.timeout = std::chrono::seconds(30);
        return settings;
    }

    fs::path clone(const GitSettings& settings, const std::optional<std::string>& ref) {
        fs::path target = workspace_->path() / "repos" / "widgets";
        RepositoryCloner(settings).clone({"acme", "widgets"}, ref, target);
        return target;
    }

    static std::string failureOf(const RepositoryCloner& cloner, const RepositorySlug& slug,
                                 const std::optional<std::string>& ref, const fs::path& target) {
        try {
            cloner.clone(slug, ref, target);
        } catch (const CloneError& error) {
            return error.what();
        }
        CPPUNIT_FAIL("clone of " + slug.text() + " succeeded but was expected to fail");
        return "";
    }

    static std::string git(const fs::path& clone, std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {"-C", clone.string()});
        return syn::testing::runFixtureGit(arguments);
    }

    std::unique_ptr<TemporaryDirectory> remotes_;
    std::unique_ptr<TemporaryDirectory> workspace_;
    std::unique_ptr<BareRepository> widgets_;
    std::string firstCommit_;
    std::string secondCommit_;
    std::string featureCommit_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RepositoryClonerTest, "repository_cloner");
