// Unit tests for parseListenAddress, parseSocketMode and ListenSocket::bind
// on unix sockets in a private temporary directory.
#include <cppunit/extensions/HelperMacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "listen_socket.h"

using syn::fcgi::ListenAddress;
using syn::fcgi::ListenSocket;
using syn::fcgi::parseListenAddress;
using syn::fcgi::parseSocketMode;

class ListenAddressTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ListenAddressTest);
    CPPUNIT_TEST(unixPath);
    CPPUNIT_TEST(unixPathMissing);
    CPPUNIT_TEST(unixPathTooLong);
    CPPUNIT_TEST(tcpHostAndPort);
    CPPUNIT_TEST(tcpAnyHost);
    CPPUNIT_TEST(ipv6InBrackets);
    CPPUNIT_TEST(ipv6WithoutBracketsRejected);
    CPPUNIT_TEST(portMissingRejected);
    CPPUNIT_TEST(portOutOfRangeRejected);
    CPPUNIT_TEST(portNotNumberRejected);
    CPPUNIT_TEST(hostMissingRejected);
    CPPUNIT_TEST(socketModeOctal);
    CPPUNIT_TEST(socketModeInvalid);
    CPPUNIT_TEST(bindSetsMode);
    CPPUNIT_TEST(bindReplacesStaleSocket);
    CPPUNIT_TEST(bindRejectsLiveSocket);
    CPPUNIT_TEST(bindRejectsRegularFile);
    CPPUNIT_TEST(closeRemovesSocketFile);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        char pattern[] = "/tmp/syn-listen-XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(pattern) != nullptr);
        directory_ = pattern;
        path_ = directory_ + "/fcgi.sock";
    }

    void tearDown() override {
        unlink(path_.c_str());
        rmdir(directory_.c_str());
    }

    void unixPath() {
        ListenAddress address = parseListenAddress("unix:/run/syn/fcgi.sock");
        CPPUNIT_ASSERT(address.family == ListenAddress::Family::Unix);
        CPPUNIT_ASSERT_EQUAL(std::string("/run/syn/fcgi.sock"), address.path);
        CPPUNIT_ASSERT_EQUAL(std::string("unix:/run/syn/fcgi.sock"), address.toString());
    }

    void unixPathMissing() {
        CPPUNIT_ASSERT_THROW(parseListenAddress("unix:"), std::invalid_argument);
    }

    void unixPathTooLong() {
        std::string path = "unix:/" + std::string(sizeof(sockaddr_un::sun_path), 'a');
        CPPUNIT_ASSERT_THROW(parseListenAddress(path), std::invalid_argument);
    }

    void tcpHostAndPort() {
        ListenAddress address = parseListenAddress("127.0.0.1:9000");
        CPPUNIT_ASSERT(address.family == ListenAddress::Family::Tcp);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), address.host);
        CPPUNIT_ASSERT_EQUAL(9000, static_cast<int>(address.port));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9000"), address.toString());
    }

    void tcpAnyHost() {
        ListenAddress address = parseListenAddress("*:9000");
        CPPUNIT_ASSERT_EQUAL(std::string("*"), address.host);
    }

    void ipv6InBrackets() {
        ListenAddress address = parseListenAddress("[::1]:9000");
        CPPUNIT_ASSERT_EQUAL(std::string("::1"), address.host);
        CPPUNIT_ASSERT_EQUAL(9000, static_cast<int>(address.port));
        CPPUNIT_ASSERT_EQUAL(std::string("[::1]:9000"), address.toString());
    }

    void ipv6WithoutBracketsRejected() {
        CPPUNIT_ASSERT_THROW(parseListenAddress("::1:9000"), std::invalid_argument);
    }

    void portMissingRejected() {
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost:"), std::invalid_argument);
    }

    void portOutOfRangeRejected() {
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost:0"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost:65536"), std::invalid_argument);
    }

    void portNotNumberRejected() {
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost:http"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseListenAddress("localhost:-1"), std::invalid_argument);
    }

    void hostMissingRejected() {
        CPPUNIT_ASSERT_THROW(parseListenAddress(":9000"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseListenAddress("[]:9000"), std::invalid_argument);
    }

    void socketModeOctal() {
        CPPUNIT_ASSERT_EQUAL(0660u, parseSocketMode("0660"));
        CPPUNIT_ASSERT_EQUAL(0666u, parseSocketMode("666"));
    }

    void socketModeInvalid() {
        CPPUNIT_ASSERT_THROW(parseSocketMode(""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseSocketMode("0680"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(parseSocketMode("rw-rw----"), std::invalid_argument);
    }

    void bindSetsMode() {
        ListenSocket socket = ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0640);
        CPPUNIT_ASSERT(socket.valid());
        struct stat status {};
        CPPUNIT_ASSERT_EQUAL(0, stat(path_.c_str(), &status));
        CPPUNIT_ASSERT(S_ISSOCK(status.st_mode));
        CPPUNIT_ASSERT_EQUAL(0640u, static_cast<unsigned>(status.st_mode & 0777));
    }

    void bindReplacesStaleSocket() {
        int stale = bindWithoutListening();
        close(stale);  // the file stays, but no socket accepts on it any more
        ListenSocket socket = ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0660);
        CPPUNIT_ASSERT(socket.valid());
    }

    void bindRejectsLiveSocket() {
        ListenSocket first = ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0660);
        CPPUNIT_ASSERT_THROW(ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0660),
                             std::runtime_error);
        struct stat status {};
        CPPUNIT_ASSERT_EQUAL(0, stat(path_.c_str(), &status));
    }

    void bindRejectsRegularFile() {
        std::ofstream(path_) << "not a socket";
        CPPUNIT_ASSERT_THROW(ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0660),
                             std::runtime_error);
        struct stat status {};
        CPPUNIT_ASSERT_EQUAL(0, stat(path_.c_str(), &status));
        CPPUNIT_ASSERT(S_ISREG(status.st_mode));
    }

    void closeRemovesSocketFile() {
        ListenSocket socket = ListenSocket::bind(parseListenAddress("unix:" + path_), 16, 0660);
        socket.close();
        CPPUNIT_ASSERT(!socket.valid());
        struct stat status {};
        CPPUNIT_ASSERT_EQUAL(-1, stat(path_.c_str(), &status));
    }

  private:
    int bindWithoutListening() {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path_.copy(address.sun_path, path_.size());
        CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)));
        return fd;
    }

    std::string directory_;
    std::string path_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ListenAddressTest, "listen_address");
