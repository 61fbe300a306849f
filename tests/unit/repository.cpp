#include "syn/repository.h"

#include <cppunit/extensions/HelperMacros.h>

namespace {

std::string slugOf(const std::string& text) {
    std::optional<syn::Repository> repository = syn::parseRepository(text);
    return repository ? repository->slug() : "<invalid>";
}

}  // namespace

class RepositoryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RepositoryTest);
    CPPUNIT_TEST(slugIsKept);
    CPPUNIT_TEST(httpsUrlIsNormalized);
    CPPUNIT_TEST(gitSuffixAndSlashAreStripped);
    CPPUNIT_TEST(slugGitSuffixIsStripped);
    CPPUNIT_TEST(httpAndUpperCaseHostAccepted);
    CPPUNIT_TEST(dotPartsAreRejected);
    CPPUNIT_TEST(malformedEntriesAreRejected);
    CPPUNIT_TEST_SUITE_END();

  public:
    void slugIsKept() {
        CPPUNIT_ASSERT_EQUAL(std::string("octo/hello-world"), slugOf("octo/hello-world"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.b/c_d"), slugOf("a.b/c_d"));
    }

    void httpsUrlIsNormalized() {
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("https://github.com/octo/app"));
    }

    void gitSuffixAndSlashAreStripped() {
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("https://github.com/octo/app.git"));
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("https://github.com/octo/app/"));
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("https://github.com/octo/app.git/"));
    }

    // The clone URL template appends ".git" itself, so a kept suffix would
    // clone octo/app.git.git.
    void slugGitSuffixIsStripped() {
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), slugOf("a/b.git"));
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app.git"), slugOf("octo/app.git.git"));
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app.github"), slugOf("octo/app.github"));
        for (const char* text : {"octo/.git", "octo/..git", "octo/app.git/"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("<invalid>"), slugOf(text));
        }
    }

    void httpAndUpperCaseHostAccepted() {
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("http://github.com/octo/app"));
        CPPUNIT_ASSERT_EQUAL(std::string("octo/app"), slugOf("HTTPS://GitHub.com/octo/app"));
    }

    void dotPartsAreRejected() {
        for (const char* text :
             {"./app", "../app", "octo/.", "octo/..", "https://github.com/../app",
              "https://github.com/octo/..", "https://github.com/octo/.git"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("<invalid>"), slugOf(text));
        }
    }

    void malformedEntriesAreRejected() {
        for (const char* text :
             {"", "octo", "/app", "octo/", "octo/app/extra", "octo/a b", "octo/app?x=1",
              "https://gitlab.com/octo/app", "https://github.com/octo", "git@github.com:o/a",
              "https://github.com/octo/app//", " octo/app", "octo/äpp"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::string("<invalid>"), slugOf(text));
        }
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RepositoryTest, "repository");
