#include "listen_socket.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace syn::fcgi {

namespace {

constexpr const char* kForms = "expected unix:PATH, HOST:PORT or [IPV6]:PORT";

std::uint16_t parsePort(const std::string& text, const std::string& whole) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos) {
        throw std::invalid_argument("Invalid port in listen address \"" + whole + "\"; " + kForms);
    }
    unsigned long port = std::stoul(text);
    if (port == 0 || port > 65535) {
        throw std::invalid_argument("Port out of range 1-65535 in listen address \"" + whole +
                                    "\"");
    }
    return static_cast<std::uint16_t>(port);
}

std::string systemError(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

// Removes a socket file that no server accepts on any more. Refuses to touch
// anything that is not a socket, or a socket that still accepts connections.
void removeStaleSocket(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT) {
            return;
        }
        throw std::runtime_error(systemError("Cannot inspect socket path " + path));
    }
    if (!S_ISSOCK(status.st_mode)) {
        throw std::runtime_error("Listen path " + path +
                                 " exists and is not a socket; remove it or choose another "
                                 "fcgi.listen");
    }

    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        throw std::runtime_error(systemError("Cannot create a unix socket"));
    }
    sockaddr_un address = unixAddress(path);
    bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(probe);
    if (live) {
        throw std::runtime_error("Another server is listening on unix:" + path +
                                 "; stop it or choose another fcgi.listen");
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw std::runtime_error(systemError("Cannot remove stale socket " + path));
    }
}

int bindUnix(const ListenAddress& address, int backlog, unsigned mode) {
    removeStaleSocket(address.path);

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(systemError("Cannot create a unix socket"));
    }
    sockaddr_un socketAddress = unixAddress(address.path);
    // Nobody can connect before listen(), so the mode is right before the
    // first client can reach the socket.
    if (::bind(fd, reinterpret_cast<sockaddr*>(&socketAddress), sizeof(socketAddress)) != 0 ||
        ::chmod(address.path.c_str(), mode) != 0 || ::listen(fd, backlog) != 0) {
        std::string message = systemError("Cannot listen on " + address.toString());
        ::close(fd);
        throw std::runtime_error(message);
    }
    return fd;
}

int bindTcp(const ListenAddress& address, int backlog) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const char* host = address.host == "*" ? nullptr : address.host.c_str();
    std::string port = std::to_string(address.port);
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host, port.c_str(), &hints, &found); rc != 0) {
        throw std::runtime_error("Cannot resolve listen address " + address.toString() + ": " +
                                 ::gai_strerror(rc));
    }

    int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
    int enable = 1;
    if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable)) != 0 ||
        ::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
        std::string message = systemError("Cannot listen on " + address.toString());
        if (fd >= 0) {
            ::close(fd);
        }
        ::freeaddrinfo(found);
        throw std::runtime_error(message);
    }
    ::freeaddrinfo(found);
    return fd;
}

}  // namespace

std::string ListenAddress::toString() const {
    if (family == Family::Unix) {
        return "unix:" + path;
    }
    std::string shown = host.find(':') != host.npos ? "[" + host + "]" : host;
    return shown + ":" + std::to_string(port);
}

ListenAddress parseListenAddress(const std::string& text) {
    ListenAddress address;
    if (text.starts_with("unix:")) {
        address.family = ListenAddress::Family::Unix;
        address.path = text.substr(5);
        if (address.path.empty()) {
            throw std::invalid_argument("Missing socket path in listen address \"" + text + "\"; " +
                                        kForms);
        }
        if (address.path.size() >= sizeof(sockaddr_un::sun_path)) {
            throw std::invalid_argument("Socket path in \"" + text + "\" is longer than " +
                                        std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                        " bytes; choose a shorter path");
        }
        return address;
    }

    address.family = ListenAddress::Family::Tcp;
    std::size_t colon;
    if (text.starts_with("[")) {
        std::size_t close = text.find("]:");
        if (close == text.npos || close == 1) {
            throw std::invalid_argument("Invalid listen address \"" + text + "\"; " + kForms);
        }
        address.host = text.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = text.rfind(':');
        if (colon == text.npos || colon == 0 || text.find(':') != colon) {
            throw std::invalid_argument("Invalid listen address \"" + text + "\"; " + kForms);
        }
        address.host = text.substr(0, colon);
    }
    address.port = parsePort(text.substr(colon + 1), text);
    return address;
}

unsigned parseSocketMode(const std::string& text) {
    if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != text.npos) {
        throw std::invalid_argument("Invalid socket mode \"" + text +
                                    "\"; expected an octal mode such as 0660");
    }
    return static_cast<unsigned>(std::stoul(text, nullptr, 8)) & 0777u;
}

ListenSocket ListenSocket::inherit() {
    int count = ::sd_listen_fds(1);
    if (count < 0) {
        throw std::runtime_error(std::string("Cannot read LISTEN_FDS: ") + std::strerror(-count));
    }
    if (count > 1) {
        throw std::runtime_error("systemd passed " + std::to_string(count) +
                                 " sockets; configure exactly one ListenStream for syn-fcgi");
    }
    if (count == 1) {
        if (::sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            throw std::runtime_error(
                "The socket systemd passed on fd 3 is not a listening stream socket");
        }
        return ListenSocket(SD_LISTEN_FDS_START, "fd 3 from systemd socket activation", "");
    }
    if (::sd_is_socket(STDIN_FILENO, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
        return ListenSocket(STDIN_FILENO, "fd 0 (inherited listening socket)", "");
    }
    return ListenSocket();
}

ListenSocket ListenSocket::bind(const ListenAddress& address, int backlog, unsigned mode) {
    if (address.family == ListenAddress::Family::Unix) {
        return ListenSocket(bindUnix(address, backlog, mode), address.toString(), address.path);
    }
    return ListenSocket(bindTcp(address, backlog), address.toString(), "");
}

ListenSocket::ListenSocket(ListenSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      description_(std::move(other.description_)),
      ownedPath_(std::move(other.ownedPath_)) {}

ListenSocket& ListenSocket::operator=(ListenSocket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        description_ = std::move(other.description_);
        ownedPath_ = std::move(other.ownedPath_);
    }
    return *this;
}

void ListenSocket::close() {
    if (fd_ < 0) {
        return;
    }
    if (!ownedPath_.empty()) {
        ::unlink(ownedPath_.c_str());
        ownedPath_.clear();
    }
    ::close(fd_);
    fd_ = -1;
}

}  // namespace syn::fcgi
