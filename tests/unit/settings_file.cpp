// Checks that systemd/syn.conf, the example config file installed as
// /etc/syn/syn.conf, documents every key of syn::settings() with its default,
// unit and environment variable, and names no key the table lacks.
#include <Poco/AutoPtr.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "syn/config.h"

namespace {

// The source tree is found from this file's path, which CMake passes to the
// compiler as an absolute path.
std::filesystem::path exampleConfigPath() {
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "systemd" /
           "syn.conf";
}

std::vector<std::string> readLines(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path.string() + ": check the source tree");
    }
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// Matches a commented-out setting line such as "# runner.slots = 4".
const std::regex& settingLinePattern() {
    static const std::regex pattern(R"(^# ([a-z_]+\.[a-z_]+) =(?: (.*))?$)");
    return pattern;
}

}  // namespace

class SettingsFileTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SettingsFileTest);
    CPPUNIT_TEST(testEveryKeyHasItsDefault);
    CPPUNIT_TEST(testEveryKeyNamesUnitAndEnvironment);
    CPPUNIT_TEST(testFileNamesNoUnknownKey);
    CPPUNIT_TEST(testUncommentedFileParsesToDefaults);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { lines_ = readLines(exampleConfigPath()); }

    void testEveryKeyHasItsDefault() {
        for (const syn::Setting& setting : syn::settings()) {
            std::string expected = std::string("# ") + setting.key + " =";
            if (*setting.defaultValue != '\0') {
                expected += std::string(" ") + setting.defaultValue;
            }
            bool found = false;
            for (const std::string& line : lines_) {
                found = found || line == expected;
            }
            CPPUNIT_ASSERT_MESSAGE("syn.conf lacks the line \"" + expected + "\"", found);
        }
    }

    void testEveryKeyNamesUnitAndEnvironment() {
        for (const syn::Setting& setting : syn::settings()) {
            std::string expected = std::string("# Unit: ") + setting.unit +
                                   ". Environment: " + setting.environment + ".";
            size_t keyLine = findSettingLine(setting.key);
            CPPUNIT_ASSERT_MESSAGE(std::string("syn.conf lacks key ") + setting.key,
                                   keyLine < lines_.size());
            CPPUNIT_ASSERT_MESSAGE(std::string("syn.conf: the comment above ") + setting.key +
                                       " lacks \"" + expected + "\"",
                                   commentAboveContains(keyLine, expected));
        }
    }

    void testFileNamesNoUnknownKey() {
        std::set<std::string> known;
        for (const syn::Setting& setting : syn::settings()) {
            known.insert(setting.key);
        }
        for (const std::string& line : lines_) {
            std::smatch match;
            if (std::regex_match(line, match, settingLinePattern())) {
                CPPUNIT_ASSERT_MESSAGE("syn.conf names unknown key " + match[1].str(),
                                       known.count(match[1].str()) == 1);
            }
        }
    }

    // Uncommenting every setting line must give a file that Poco reads back
    // as the defaults, so the shown values survive the property file syntax.
    void testUncommentedFileParsesToDefaults() {
        std::ostringstream uncommented;
        for (const std::string& line : lines_) {
            uncommented << (std::regex_match(line, settingLinePattern()) ? line.substr(2) : line)
                        << "\n";
        }
        std::istringstream in(uncommented.str());
        Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file(
            new Poco::Util::PropertyFileConfiguration(in));
        for (const syn::Setting& setting : syn::settings()) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("value of ") + setting.key,
                                         std::string(setting.defaultValue),
                                         file->getString(setting.key, "<missing>"));
        }
    }

  private:
    size_t findSettingLine(const std::string& key) const {
        for (size_t i = 0; i < lines_.size(); ++i) {
            std::smatch match;
            if (std::regex_match(lines_[i], match, settingLinePattern()) && match[1] == key) {
                return i;
            }
        }
        return lines_.size();
    }

    // True when the comment block that ends just above line `index` has `text` as a line.
    bool commentAboveContains(size_t index, const std::string& text) const {
        while (index > 0 && lines_[index - 1].starts_with("#")) {
            --index;
            if (lines_[index] == text) {
                return true;
            }
        }
        return false;
    }

    std::vector<std::string> lines_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(SettingsFileTest, "settings_file");
