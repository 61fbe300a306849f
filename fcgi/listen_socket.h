// The listening socket the pool accepts FastCGI connections on: bound by the
// master from --listen, or inherited from systemd or spawn-fcgi.
#pragma once

#include <cstdint>
#include <string>

namespace syn::fcgi {

// A parsed fcgi.listen value: "unix:PATH" or "HOST:PORT" ("[::1]:9000" for IPv6).
struct ListenAddress {
    enum class Family { Unix, Tcp };

    Family family = Family::Unix;
    std::string path;  // Unix only
    std::string host;  // Tcp only, without brackets; "*" binds every address
    std::uint16_t port = 0;

    // Formats the address the way fcgi.listen spells it, for logs.
    std::string toString() const;
};

// Parses an fcgi.listen value. Throws std::invalid_argument naming the value
// and the expected forms when it is neither a unix path nor HOST:PORT.
ListenAddress parseListenAddress(const std::string& text);

// Parses an octal permission mode such as "0660". Throws std::invalid_argument
// when the text is not an octal number in 0..0777.
unsigned parseSocketMode(const std::string& text);

// A listening socket owned by the master. An inherited socket is left as it
// is on exit; a unix socket the master bound is unlinked by close().
class ListenSocket {
  public:
    // Returns the socket systemd passed (LISTEN_FDS=1 for this pid, fd 3) or
    // the listening socket on fd 0 (spawn-fcgi, StandardInput=socket), or an
    // invalid ListenSocket when there is none. Throws std::runtime_error
    // when systemd passed more than one socket.
    static ListenSocket inherit();

    // Binds and listens on `address`. A unix socket gets permissions `mode`;
    // a stale socket file left by a dead server is removed first, but a path
    // another server still accepts on is not. Throws std::runtime_error
    // naming the address and the system error.
    static ListenSocket bind(const ListenAddress& address, int backlog, unsigned mode);

    ListenSocket() = default;
    ~ListenSocket() { close(); }
    ListenSocket(ListenSocket&& other) noexcept;
    ListenSocket& operator=(ListenSocket&& other) noexcept;
    ListenSocket(const ListenSocket&) = delete;
    ListenSocket& operator=(const ListenSocket&) = delete;

    bool valid() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    // Where the socket came from or what it is bound to, for logs.
    const std::string& description() const { return description_; }

    // Closes the master's descriptor and removes the socket file it created,
    // so that new connections fail at once instead of queueing on a server
    // that is stopping.
    void close();

  private:
    ListenSocket(int fd, std::string description, std::string ownedPath)
        : fd_(fd), description_(std::move(description)), ownedPath_(std::move(ownedPath)) {}

    int fd_ = -1;
    std::string description_;
    std::string ownedPath_;  // unix socket file to unlink on close, empty when inherited
};

}  // namespace syn::fcgi
