// Runs the synctl binary of the build under test and creates scratch
// databases next to the stack's, for the synctl integration suites.
#pragma once

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "support/environment.h"
#include "syn/pg.h"

namespace syn::test {

struct SynctlResult {
    int exitCode = -1;
    std::string out;
    std::string err;

    std::string describe() const {
        return "exit " + std::to_string(exitCode) + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
};

// Runs synctl with `arguments` and waits for it. Output is read after the
// process ends, which is fine for the few kilobytes synctl prints.
inline SynctlResult runSynctl(const std::vector<std::string>& arguments) {
    Poco::Pipe outPipe;
    Poco::Pipe errPipe;
    Poco::ProcessHandle handle = Poco::Process::launch(buildDir() + "/engine/synctl/synctl",
                                                       arguments, nullptr, &outPipe, &errPipe);
    SynctlResult result;
    Poco::PipeInputStream out(outPipe);
    Poco::PipeInputStream err(errPipe);
    Poco::StreamCopier::copyToString(out, result.out);
    Poco::StreamCopier::copyToString(err, result.err);
    result.exitCode = handle.wait();
    return result;
}

// Rewrites a conninfo string or URL to name another database.
inline std::string withDatabase(const std::string& conninfo, const std::string& database) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        std::string message = error == nullptr ? "out of memory" : error;
        PQfreemem(error);
        throw std::runtime_error("Invalid SYN_DATABASE_URL: " + message);
    }
    std::string rewritten = "dbname=" + pg::quoteLiteral(database);
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val != nullptr && std::string(option->keyword) != "dbname") {
            rewritten += " " + std::string(option->keyword) + "=" + pg::quoteLiteral(option->val);
        }
    }
    PQconninfoFree(options);
    return rewritten;
}

// A database created on the stack's server for one test and dropped after it.
class ScratchDatabase {
  public:
    explicit ScratchDatabase(const std::string& purpose)
        : name_("syn_scratch_" + purpose + "_" + std::to_string(::getpid())),
          admin_(std::make_unique<pg::Connection>(databaseUrl())) {
        admin_->execute("set client_min_messages = warning");
        admin_->execute("drop database if exists " + name_ + " with (force)");
        admin_->execute("create database " + name_);
        url_ = withDatabase(databaseUrl(), name_);
    }
    ~ScratchDatabase() {
        try {
            admin_->execute("drop database if exists " + name_ + " with (force)");
        } catch (const pg::Error&) {
            // The next run drops it before creating it again.
        }
    }
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    const std::string& url() const { return url_; }

  private:
    std::string name_;
    std::unique_ptr<pg::Connection> admin_;
    std::string url_;
};

}  // namespace syn::test
