// Sends execute calls one after another and records when each response
// arrived, for measuring dispatch latency against the phase's started_at.
//
// Usage: syn_bench_dispatch HOST PORT WORKFLOW_ID COUNT TASK
// Prints "<execution id> <arrival, seconds since the epoch>" per call. The
// arrival is read from the system clock as soon as the response body is in,
// so no process start sits between the response and the timestamp.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: syn_bench_dispatch HOST PORT WORKFLOW_ID COUNT TASK\n";
        return 2;
    }
    Poco::Net::HTTPClientSession session(argv[1], static_cast<Poco::UInt16>(std::atoi(argv[2])));
    const std::string path = std::string("/workflows/") + argv[3] + "/execute";
    const int count = std::atoi(argv[4]);
    const std::string body = std::string("{\"task\": \"") + argv[5] + "\"}";
    const std::regex idPattern("\"execution_id\": ?\"(exec-[0-9a-f]{12})\"");

    for (int i = 0; i < count; ++i) {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;

        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        auto arrived = std::chrono::system_clock::now().time_since_epoch();

        std::smatch match;
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK ||
            !std::regex_search(text, match, idPattern)) {
            std::cerr << "syn_bench_dispatch: execute returned " << response.getStatus() << ": "
                      << text << "\n";
            return 1;
        }
        double seconds = std::chrono::duration<double>(arrived).count();
        std::printf("%s %.6f\n", match[1].str().c_str(), seconds);
        // Spaced so that every execution finds a free slot.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}
