// Unit tests for the AGENTS.md and CLAUDE.md written at a workspace root.
#include "syn/workspace_context.h"

#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/bare_repository.h"

namespace fs = std::filesystem;
using syn::testing::TemporaryDirectory;

namespace {

void writeFile(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
}

std::string readFile(const fs::path& path) {
    std::ifstream file(path);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

}  // namespace

class WorkspaceContextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WorkspaceContextTest);
    CPPUNIT_TEST(bothFilesFound);
    CPPUNIT_TEST(linkInsideRepositoryCounts);
    CPPUNIT_TEST(linkOutsideRepositoryIgnored);
    CPPUNIT_TEST(directoryNamedLikeFileIgnored);
    CPPUNIT_TEST(rootFilesListEveryRepository);
    CPPUNIT_TEST(nothingWrittenWithoutInstructions);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { workspace_ = std::make_unique<TemporaryDirectory>(); }
    void tearDown() override { workspace_.reset(); }

    void bothFilesFound() {
        writeFile(repo("widgets") / "AGENTS.md", "rules\n");
        writeFile(repo("widgets") / "CLAUDE.md", "rules\n");
        std::vector<std::string> expected{"repos/widgets/AGENTS.md", "repos/widgets/CLAUDE.md"};
        CPPUNIT_ASSERT(expected == syn::workspace::findInstructionFiles(root(), repo("widgets")));
    }

    void linkInsideRepositoryCounts() {
        writeFile(repo("widgets") / "AGENTS.md", "rules\n");
        fs::create_symlink("AGENTS.md", repo("widgets") / "CLAUDE.md");
        CPPUNIT_ASSERT_EQUAL(size_t(2),
                             syn::workspace::findInstructionFiles(root(), repo("widgets")).size());
    }

    void linkOutsideRepositoryIgnored() {
        writeFile(root() / "secret.txt", "not for agents\n");
        fs::create_directories(repo("widgets"));
        fs::create_symlink(root() / "secret.txt", repo("widgets") / "AGENTS.md");
        fs::create_symlink("../../../etc/passwd", repo("widgets") / "CLAUDE.md");
        CPPUNIT_ASSERT(syn::workspace::findInstructionFiles(root(), repo("widgets")).empty());
    }

    void directoryNamedLikeFileIgnored() {
        fs::create_directories(repo("widgets") / "AGENTS.md");
        CPPUNIT_ASSERT(syn::workspace::findInstructionFiles(root(), repo("widgets")).empty());
    }

    void rootFilesListEveryRepository() {
        writeFile(repo("widgets") / "AGENTS.md", "widgets rules\n");
        writeFile(repo("gadgets") / "CLAUDE.md", "gadgets rules\n");
        fs::create_directories(repo("plain"));

        CPPUNIT_ASSERT(syn::workspace::writeContextFiles(
            root(), {repo("widgets"), repo("plain"), repo("gadgets")}));
        std::string agents = readFile(root() / "AGENTS.md");
        std::string claude = readFile(root() / "CLAUDE.md");
        CPPUNIT_ASSERT(agents.find("- repos/widgets/AGENTS.md\n- repos/gadgets/CLAUDE.md\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(claude.find("@repos/widgets/AGENTS.md\n@repos/gadgets/CLAUDE.md\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(agents.find("plain") == std::string::npos);
        CPPUNIT_ASSERT(!fs::exists(root() / "AGENTS.md.tmp"));
    }

    void nothingWrittenWithoutInstructions() {
        writeFile(repo("plain") / "README.md", "readme\n");
        CPPUNIT_ASSERT(!syn::workspace::writeContextFiles(root(), {repo("plain")}));
        CPPUNIT_ASSERT(!fs::exists(root() / "AGENTS.md"));
        CPPUNIT_ASSERT(!fs::exists(root() / "CLAUDE.md"));
    }

  private:
    const fs::path& root() const { return workspace_->path(); }
    fs::path repo(const std::string& name) const { return root() / "repos" / name; }

    std::unique_ptr<TemporaryDirectory> workspace_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(WorkspaceContextTest, "workspace_context");
