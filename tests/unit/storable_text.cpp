// Unit tests for toStorableText: agent output made acceptable to PostgreSQL's
// text type.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "syn/utf8.h"

namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

class StorableTextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StorableTextTest);
    CPPUNIT_TEST(validTextIsUnchanged);
    CPPUNIT_TEST(invalidBytesAreReplaced);
    CPPUNIT_TEST(nulBytesAreReplaced);
    CPPUNIT_TEST(cutCharacterAtEndIsReplaced);
    CPPUNIT_TEST(surrogatesAndOverlongFormsAreReplaced);
    CPPUNIT_TEST_SUITE_END();

  public:
    void validTextIsUnchanged() {
        const std::string text = "plain ASCII, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80\n";
        CPPUNIT_ASSERT_EQUAL(text, syn::toStorableText(text));
        CPPUNIT_ASSERT_EQUAL(std::string(), syn::toStorableText(""));
    }

    void invalidBytesAreReplaced() {
        CPPUNIT_ASSERT_EQUAL("bad " + kReplacement + kReplacement + " bytes\n",
                             syn::toStorableText("bad \xFF\xFE bytes\n"));
    }

    void nulBytesAreReplaced() {
        CPPUNIT_ASSERT_EQUAL("before" + kReplacement + "after\n",
                             syn::toStorableText(std::string("before\0after\n", 13)));
    }

    void cutCharacterAtEndIsReplaced() {
        // The first byte of "é" (C3 A9) without its second, as a byte cap leaves it.
        CPPUNIT_ASSERT_EQUAL("x" + kReplacement, syn::toStorableText("x\xC3"));
        CPPUNIT_ASSERT_EQUAL("x" + kReplacement + "\n", syn::toStorableText("x\xC3\n"));
    }

    void surrogatesAndOverlongFormsAreReplaced() {
        // ED A0 80 encodes U+D800, a surrogate; C0 AF is an overlong "/".
        std::string stored = syn::toStorableText("\xED\xA0\x80|\xC0\xAF");
        CPPUNIT_ASSERT(syn::isValidUtf8(stored));
        CPPUNIT_ASSERT_EQUAL(
            kReplacement + kReplacement + kReplacement + "|" + kReplacement + kReplacement, stored);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(StorableTextTest, "storable_text");

}  // namespace
