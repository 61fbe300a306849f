#include "syn/pg.h"

#include <algorithm>
#include <cstdlib>

namespace syn::pg {

Result& Result::operator=(Result&& other) noexcept {
    if (this != &other) {
        PQclear(result_);
        result_ = other.result_;
        other.result_ = nullptr;
    }
    return *this;
}

std::string_view Result::text(int row, int column) const {
    return {PQgetvalue(result_, row, column),
            static_cast<size_t>(PQgetlength(result_, row, column))};
}

std::optional<std::string> Result::optionalText(int row, int column) const {
    if (isNull(row, column)) {
        return std::nullopt;
    }
    return std::string(text(row, column));
}

long long Result::integer(int row, int column) const {
    return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

bool Result::boolean(int row, int column) const {
    return PQgetvalue(result_, row, column)[0] == 't';
}

int Result::affectedRows() const {
    const char* count = PQcmdTuples(result_);
    return count[0] == '\0' ? 0 : std::atoi(count);
}

int Result::column(const char* name) const {
    int index = PQfnumber(result_, name);
    if (index < 0) {
        throw Error(std::string("Result has no column ") + name, "42703");
    }
    return index;
}

Connection::Connection(const std::string& conninfo) : connection_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(connection_) != CONNECTION_OK) {
        std::string message = PQerrorMessage(connection_);
        PQfinish(connection_);
        connection_ = nullptr;
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        throw Error("Connecting to PostgreSQL failed: " + message, "");
    }
}

Connection::~Connection() {
    if (connection_ != nullptr) {
        PQfinish(connection_);
    }
}

Result Connection::check(PGresult* raw, const std::string& what) {
    Result result(raw);
    ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        return result;
    }

    std::string sqlstate;
    std::string message;
    if (raw != nullptr) {
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        sqlstate = state == nullptr ? "" : state;
        message = PQresultErrorMessage(raw);
    }
    if (message.empty()) {
        message = PQerrorMessage(connection_);
    }
    while (!message.empty() && message.back() == '\n') {
        message.pop_back();
    }
    // A broken connection must not look like a statement error to callers.
    if (PQstatus(connection_) != CONNECTION_OK) {
        sqlstate.clear();
    }
    throw Error(what + " failed: " + message, sqlstate);
}

namespace {

struct ParamArrays {
    std::vector<const char*> values;
    std::vector<int> lengths;

    explicit ParamArrays(const std::vector<Param>& params) {
        for (const Param& param : params) {
            values.push_back(param ? param->c_str() : nullptr);
            lengths.push_back(param ? static_cast<int>(param->size()) : 0);
        }
    }
};

}  // namespace

Result Connection::execute(const std::string& sql, const std::vector<Param>& params) {
    ParamArrays arrays(params);
    PGresult* raw = PQexecParams(connection_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                 arrays.values.data(), arrays.lengths.data(), nullptr, 0);
    return check(raw, "Statement");
}

void Connection::executeScript(const std::string& sql) {
    check(PQexec(connection_, sql.c_str()), "Script");
}

void Connection::prepare(const std::string& name, const std::string& sql) {
    if (std::find(prepared_.begin(), prepared_.end(), name) != prepared_.end()) {
        return;
    }
    check(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr), "Preparing " + name);
    prepared_.push_back(name);
}

bool Connection::reopen() {
    PQreset(connection_);
    prepared_.clear();
    return isOpen();
}

Result Connection::executePrepared(const std::string& name, const std::vector<Param>& params) {
    ParamArrays arrays(params);
    PGresult* raw = PQexecPrepared(connection_, name.c_str(), static_cast<int>(params.size()),
                                   arrays.values.data(), arrays.lengths.data(), nullptr, 0);
    return check(raw, "Statement " + name);
}

std::vector<std::pair<std::string, std::string>> Connection::takeNotifications() {
    std::vector<std::pair<std::string, std::string>> notifications;
    if (!PQconsumeInput(connection_)) {
        throw Error(std::string("Reading notifications failed: ") + PQerrorMessage(connection_),
                    "");
    }
    while (PGnotify* notify = PQnotifies(connection_)) {
        notifications.emplace_back(notify->relname, notify->extra);
        PQfreemem(notify);
    }
    return notifications;
}

std::string quoteLiteral(std::string_view value) {
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'') {
            quoted += '\'';
        }
        quoted += c;
    }
    quoted += '\'';
    return quoted;
}

std::string arrayLiteral(const std::vector<std::string>& values) {
    std::string literal = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            literal += ',';
        }
        literal += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') {
                literal += '\\';
            }
            literal += c;
        }
        literal += '"';
    }
    literal += '}';
    return literal;
}

std::vector<std::string> parseArray(std::string_view literal) {
    std::vector<std::string> values;
    if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') {
        return values;
    }
    std::string_view body = literal.substr(1, literal.size() - 2);
    size_t i = 0;
    while (i < body.size()) {
        std::string value;
        if (body[i] == '"') {
            ++i;
            while (i < body.size() && body[i] != '"') {
                if (body[i] == '\\' && i + 1 < body.size()) {
                    ++i;
                }
                value += body[i++];
            }
            ++i;  // closing quote
        } else {
            while (i < body.size() && body[i] != ',') {
                value += body[i++];
            }
        }
        values.push_back(value);
        if (i < body.size() && body[i] == ',') {
            ++i;
        }
    }
    return values;
}

}  // namespace syn::pg
