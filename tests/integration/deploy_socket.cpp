// syn-fcgi started the way a deployment starts it: with a listening unix
// socket it inherits instead of binding fcgi.listen. spawn-fcgi (and systemd
// with StandardInput=socket) pass the socket on fd 0; systemd socket
// activation passes it on fd 3 with LISTEN_FDS and LISTEN_PID. Each test
// serves GET /workflows through a private nginx that includes the shipped
// nginx/syn-locations.conf, then stops the pool with SIGTERM.
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/api_checks.h"
#include "support/environment.h"
#include "support/http_client.h"
#include "support/stack_control.h"
#include "support/test_database.h"

namespace {

namespace fs = std::filesystem;

// The user the stack's services run as: the owner of SYN_STACK_DIR, which
// scripts/stack chowns to it when run as root. Unused when not root.
struct ServiceUser {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string name;
    std::string group;
};

ServiceUser stackServiceUser() {
    struct stat status {};
    std::string dir = syn::test::stackDir();
    if (::stat(dir.c_str(), &status) != 0) {
        throw std::runtime_error("cannot stat SYN_STACK_DIR " + dir + ": " + std::strerror(errno));
    }
    const passwd* user = ::getpwuid(status.st_uid);
    const group* group = ::getgrgid(status.st_gid);
    if (user == nullptr || group == nullptr) {
        throw std::runtime_error("owner of " + dir + " has no user or group name");
    }
    return {status.st_uid, status.st_gid, user->pw_name, group->gr_name};
}

bool runningAsRoot() {
    return ::geteuid() == 0;
}

// The URL the pool logs in with: the syn_api member when the stack exports one.
std::string apiDatabaseUrl() {
    const char* url = std::getenv("SYN_API_DATABASE_URL");
    return url != nullptr && *url != '\0' ? url : syn::test::databaseUrl();
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != text.npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

// Returns a loopback TCP port that was free a moment ago.
int freeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error(std::string("cannot find a free loopback port: ") +
                                 std::strerror(errno));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

bool processExists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

// Returns the pids of the live children of `parent`, from /proc/<pid>/stat.
std::vector<pid_t> childPids(pid_t parent) {
    std::vector<pid_t> children;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != name.npos) {
            continue;
        }
        std::string stat = readFile(entry.path().string() + "/stat");
        // The command name in brackets may contain spaces; the state and the
        // parent pid follow its closing bracket.
        std::size_t close = stat.rfind(')');
        if (close == stat.npos) {
            continue;
        }
        std::istringstream fields(stat.substr(close + 1));
        std::string state;
        pid_t ppid = 0;
        if (fields >> state >> ppid && ppid == parent && state != "Z") {
            children.push_back(static_cast<pid_t>(std::stoi(name)));
        }
    }
    std::sort(children.begin(), children.end());
    return children;
}

}  // namespace

class DeploySocketTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeploySocketTest);
    CPPUNIT_TEST(spawnFcgiSocketOnStdin);
    CPPUNIT_TEST(systemdSocketOnFd3);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        syn::test::installFixtureWorkflows();
        if (runningAsRoot()) {
            serviceUser_ = stackServiceUser();
        }
        char pattern[] = "/tmp/syn-deploy-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) {
            throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
        }
        dir_ = pattern;
        fs::create_directories(dir_ + "/nginx-temp");
        if (runningAsRoot()) {
            ::chmod(dir_.c_str(), 0755);
            for (const std::string& path : {dir_, dir_ + "/nginx-temp"}) {
                if (::chown(path.c_str(), serviceUser_.uid, serviceUser_.gid) != 0) {
                    throw std::runtime_error("cannot chown " + path + ": " + std::strerror(errno));
                }
            }
        }
        socketPath_ = dir_ + "/fcgi.sock";
        unusedListenPath_ = dir_ + "/unused.sock";
        logPath_ = dir_ + "/fcgi.log";
    }

    void tearDown() override {
        if (poolPid_ > 0) {
            // The workers get SIGTERM from the kernel when their master dies.
            ::kill(poolPid_, SIGKILL);
            ::waitpid(poolPid_, nullptr, 0);
        }
        stopNginx();
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void spawnFcgiSocketOnStdin() {
        std::vector<std::string> argv = {"/usr/bin/spawn-fcgi", "-n", "-s",
                                         socketPath_,           "-M", "0660"};
        if (runningAsRoot()) {
            argv.insert(argv.end(), {"-u", serviceUser_.name, "-g", serviceUser_.group, "-U",
                                     serviceUser_.name, "-G", serviceUser_.group});
        }
        argv.push_back("--");
        std::vector<std::string> pool = poolArguments();
        argv.insert(argv.end(), pool.begin(), pool.end());
        // With -n, spawn-fcgi binds the socket, moves it to fd 0 and execs
        // syn-fcgi in its own process, so the child pid is the master's.
        poolPid_ = ::fork();
        if (poolPid_ == 0) {
            execInChild(argv, -1, false);
        }
        waitForSocketFile();

        checkPoolServes("fd 0 (inherited listening socket)");
        stopPoolAndCheck();
    }

    void systemdSocketOnFd3() {
        int listenFd = bindListeningSocket();
        poolPid_ = ::fork();
        if (poolPid_ == 0) {
            if (runningAsRoot()) {
                dropPrivileges();
            }
            execInChild(poolArguments(), listenFd, true);
        }
        ::close(listenFd);

        checkPoolServes("fd 3 from systemd socket activation");
        stopPoolAndCheck();
    }

  private:
    std::vector<std::string> poolArguments() const {
        // fcgi.listen names a path the pool must not bind, because it
        // inherits a socket; the test checks that the path stays absent.
        return {syn::test::buildDir() + "/fcgi/syn-fcgi",
                "--config",
                "/nonexistent/syn.conf",
                "--listen",
                "unix:" + unusedListenPath_,
                "--workers",
                "2",
                "--threads",
                "2"};
    }

    // Creates the listening socket that systemd would create for syn-fcgi.socket.
    int bindListeningSocket() {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, socketPath_.c_str(), sizeof(address.sun_path) - 1);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(fd, 64) != 0) {
            throw std::runtime_error("cannot listen on " + socketPath_ + ": " +
                                     std::strerror(errno));
        }
        if (runningAsRoot()) {
            ::chown(socketPath_.c_str(), serviceUser_.uid, serviceUser_.gid);
        }
        ::chmod(socketPath_.c_str(), 0660);
        return fd;
    }

    void dropPrivileges() {
        if (::setgroups(0, nullptr) != 0 || ::setgid(serviceUser_.gid) != 0 ||
            ::setuid(serviceUser_.uid) != 0) {
            ::_exit(126);
        }
    }

    // Runs in the forked child: sets the pool's environment, moves
    // `listenFd` to fd 3 with LISTEN_FDS when `socketActivation` is set, sends
    // output to the log file and execs argv. Never returns.
    void execInChild(const std::vector<std::string>& argv, int listenFd, bool socketActivation) {
        int log = ::open(logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log >= 0) {
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
        }
        ::setenv("SYN_DATABASE_URL", apiDatabaseUrl().c_str(), 1);
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDNAMES");
        if (socketActivation) {
            // dup2 clears close-on-exec on the copy, but dup2(3, 3) changes
            // nothing, so a socket that already is fd 3 gets the flag cleared.
            int moved = listenFd == 3 ? ::fcntl(3, F_SETFD, 0) : ::dup2(listenFd, 3);
            if (moved < 0) {
                ::_exit(125);
            }
            ::setenv("LISTEN_FDS", "1", 1);
            ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        }
        std::vector<char*> pointers;
        for (const std::string& item : argv) {
            pointers.push_back(const_cast<char*>(item.c_str()));
        }
        pointers.push_back(nullptr);
        ::execv(pointers[0], pointers.data());
        ::_exit(127);
    }

    void waitForSocketFile() {
        for (int i = 0; i < 100 && !fs::exists(socketPath_); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT_MESSAGE(
            "spawn-fcgi did not create " + socketPath_ + ": " + readFile(logPath_),
            fs::exists(socketPath_));
    }

    // Starts nginx with the stack's template and the shipped locations
    // snippet, aimed at the test's socket. Returns the port it listens on.
    int startNginx() {
        fs::copy_file("/etc/nginx/fastcgi_params", dir_ + "/fastcgi_params",
                      fs::copy_options::overwrite_existing);
        std::string userDirective;
        if (runningAsRoot()) {
            userDirective = "user " + serviceUser_.name + " " + serviceUser_.group + ";";
        }
        std::string output;
        for (int attempt = 0; attempt < 5; ++attempt) {
            int port = freeLoopbackPort();
            std::string config = readFile(syn::test::sourceDir() + "/nginx/test-server.conf.in");
            config = replaceAll(config, "@USER_DIRECTIVE@", userDirective);
            config = replaceAll(config, "@STATE_DIR@", dir_);
            config = replaceAll(config, "@FCGI_SOCKET@", socketPath_);
            config = replaceAll(config, "@PORT@", std::to_string(port));
            config = replaceAll(config, "@LOCATIONS@",
                                syn::test::sourceDir() + "/nginx/syn-locations.conf");
            std::ofstream(dir_ + "/nginx.conf") << config;

            int status = syn::test::runCommand(
                {"/usr/sbin/nginx", "-p", dir_ + "/", "-c", dir_ + "/nginx.conf"}, output);
            if (status == 0) {
                nginxStarted_ = true;
                return port;
            }
            // Another program took the port between the probe and the bind.
            if (output.find("Address already in use") == output.npos) {
                break;
            }
        }
        throw std::runtime_error("nginx did not start: " + output +
                                 readFile(dir_ + "/nginx-error.log"));
    }

    void stopNginx() {
        if (!nginxStarted_) {
            return;
        }
        nginxStarted_ = false;
        pid_t pid = 0;
        std::ifstream(dir_ + "/nginx.pid") >> pid;
        if (pid <= 0) {
            return;
        }
        // SIGQUIT is nginx's graceful shutdown.
        ::kill(pid, SIGQUIT);
        for (int i = 0; i < 100 && processExists(pid); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (processExists(pid)) {
            ::kill(pid, SIGKILL);
        }
    }

    // GETs /workflows through nginx until the pool serves it, then checks
    // the response against the database and the log against `source`.
    void checkPoolServes(const std::string& source) {
        syn::test::HttpClient client("http://127.0.0.1:" + std::to_string(startNginx()));
        syn::test::HttpResponse response;
        for (int i = 0; i < 100; ++i) {
            response = client.get("/workflows?page_size=100");
            if (response.status == 200) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body + "\n" + readFile(logPath_), 200,
                                     response.status);

        syn::test::TestDatabase database;
        syn::pg::Result expected = database.query(
            "select id from syn.workflows where archived_at is null order by id limit 100");
        Poco::JSON::Object::Ptr body = response.json();
        Poco::JSON::Array::Ptr workflows = body->getArray("workflows");
        CPPUNIT_ASSERT_MESSAGE(response.body, !workflows.isNull());
        CPPUNIT_ASSERT(expected.rows() >= 3);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(expected.rows()), workflows->size());
        for (int row = 0; row < expected.rows(); ++row) {
            CPPUNIT_ASSERT_EQUAL(std::string(expected.text(row, 0)),
                                 workflows->getObject(row)->getValue<std::string>("id"));
        }

        std::string log = readFile(logPath_);
        CPPUNIT_ASSERT_MESSAGE(log, log.find(source) != log.npos);
        CPPUNIT_ASSERT_MESSAGE("the pool bound fcgi.listen " + unusedListenPath_,
                               !fs::exists(unusedListenPath_));
    }

    // Sends SIGTERM to the master and checks that it exits 0 after reaping
    // every worker, and leaves the inherited socket file in place.
    void stopPoolAndCheck() {
        std::vector<pid_t> workers = childPids(poolPid_);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), workers.size());

        CPPUNIT_ASSERT_EQUAL(0, ::kill(poolPid_, SIGTERM));
        int status = -1;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(poolPid_, &status, WNOHANG) == poolPid_) {
                poolPid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::string log = readFile(logPath_);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("master still running 25 s after SIGTERM: " + log, pid_t(-1),
                                     poolPid_);
        CPPUNIT_ASSERT_MESSAGE(log, WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(log, 0, WEXITSTATUS(status));
        for (pid_t worker : workers) {
            CPPUNIT_ASSERT_MESSAGE("worker " + std::to_string(worker) + " outlived its master",
                                   !processExists(worker));
        }
        CPPUNIT_ASSERT_MESSAGE("the pool removed the inherited socket " + socketPath_,
                               fs::exists(socketPath_));
    }

    ServiceUser serviceUser_;
    std::string dir_;
    std::string socketPath_;
    std::string unusedListenPath_;
    std::string logPath_;
    pid_t poolPid_ = -1;
    bool nginxStarted_ = false;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(DeploySocketTest, "deploy_socket");
