// A thin RAII layer over libpq: connections, results and errors.
#pragma once

#include <libpq-fe.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace syn::pg {

// A failed database call. `sqlstate` is the five-character SQLSTATE code, or
// empty when the connection itself failed (server down, socket closed).
class Error : public std::runtime_error {
  public:
    Error(const std::string& message, std::string sqlstate)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}

    const std::string& sqlstate() const { return sqlstate_; }

    // True when the error came from the connection rather than the statement,
    // so that retrying on a fresh connection may succeed.
    bool isConnectionError() const {
        return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_ == "57P01" ||
               sqlstate_ == "57P02" || sqlstate_ == "57P03";
    }

  private:
    std::string sqlstate_;
};

// A statement parameter: text, or SQL NULL when empty.
using Param = std::optional<std::string>;

class Result {
  public:
    explicit Result(PGresult* result) : result_(result) {}
    ~Result() { PQclear(result_); }
    Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    Result& operator=(Result&& other) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;

    int rows() const { return PQntuples(result_); }
    int columns() const { return PQnfields(result_); }
    bool isNull(int row, int column) const { return PQgetisnull(result_, row, column); }
    std::string_view text(int row, int column) const;
    std::optional<std::string> optionalText(int row, int column) const;
    long long integer(int row, int column) const;
    bool boolean(int row, int column) const;
    int affectedRows() const;
    int column(const char* name) const;

  private:
    PGresult* result_;
};

class Connection {
  public:
    // Opens a connection from a libpq conninfo string or postgresql:// URL.
    // Throws Error when the server cannot be reached.
    explicit Connection(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool isOpen() const { return PQstatus(connection_) == CONNECTION_OK; }
    PGconn* handle() { return connection_; }

    Result execute(const std::string& sql, const std::vector<Param>& params = {});
    // Runs a script that may contain several statements, without parameters.
    void executeScript(const std::string& sql);

    // Prepares once per connection; later calls with the same name are no-ops.
    void prepare(const std::string& name, const std::string& sql);
    Result executePrepared(const std::string& name, const std::vector<Param>& params);

    // Returns the NOTIFY messages received so far as (channel, payload) pairs.
    std::vector<std::pair<std::string, std::string>> takeNotifications();
    int socket() const { return PQsocket(connection_); }

    // Closes the connection and opens it again with the same parameters, as
    // after a server restart. Statements must be prepared again. Returns
    // whether the new connection is open.
    bool reopen();

  private:
    Result check(PGresult* result, const std::string& what);

    PGconn* connection_;
    std::vector<std::string> prepared_;
};

// Quotes a value as an SQL string literal for scripts that cannot take parameters.
std::string quoteLiteral(std::string_view value);

// Formats a text[] literal for passing a list as one parameter.
std::string arrayLiteral(const std::vector<std::string>& values);

// Parses a text[] value as returned by the server in text format.
std::vector<std::string> parseArray(std::string_view literal);

}  // namespace syn::pg
