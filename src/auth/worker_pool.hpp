#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace openbar::auth {

// A fixed set of threads with a bounded queue, for CPU-heavy work such as
// password hashing that must not run on the network threads. A full queue
// rejects new work instead of letting latency grow without limit.
class WorkerPool {
public:
    WorkerPool(unsigned threads, std::size_t queue_limit);
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    ~WorkerPool();

    // Queues `job`; returns false, without queueing, when the queue is full
    // or the pool is stopping.
    bool try_submit(std::function<void()> job);

    // Finishes queued jobs, then joins the threads.
    void stop();

private:
    void run();

    std::size_t queue_limit_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace openbar::auth
