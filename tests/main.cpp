// Runs the CppUnit suite named on the command line (registered with
// CPPUNIT_TEST_SUITE_NAMED_REGISTRATION under its file's name), or every
// registered suite when no name is given.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

int main(int argc, char** argv) {
    CppUnit::TestRunner runner;
    if (argc > 1) {
        runner.addTest(CppUnit::TestFactoryRegistry::getRegistry(argv[1]).makeTest());
    } else {
        runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
    }

    CppUnit::TestResult controller;
    CppUnit::TestResultCollector collector;
    CppUnit::BriefTestProgressListener progress;
    controller.addListener(&collector);
    controller.addListener(&progress);
    runner.run(controller);

    CppUnit::CompilerOutputter(&collector, std::cerr).write();
    int failed = collector.testFailuresTotal();
    std::cout << collector.runTests() - failed << " passed, " << failed << " failed" << std::endl;
    return collector.wasSuccessful() ? 0 : 1;
}
