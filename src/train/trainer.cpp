// The training loop: shuffled mini-batches, one optimizer step per batch, an evaluation on
// the validation set after each epoch, the schedule, and early stopping.
//
// When the training set says gathering is costly (augmentation), batch b + 1 is gathered on
// another thread while batch b trains, into the other of two buffers. The gathers still run
// one after the other in batch order, so a dataset's random draws are the same as without
// the prefetch: the results do not change, only the time.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <future>
#include <numeric>
#include <span>

#include "redes/distributed.hpp"
#include "redes/threads.hpp"
#include "redes/train.hpp"

namespace redes {

namespace {

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// "the loss is NaN", and how large the network's outputs are when they are all finite (the
// square of 1e20 overflows a float).
std::string loss_problem(float loss, TensorView<const float> out) {
  std::string s = std::isnan(loss) ? "the loss is NaN" : "the loss is infinite";
  float largest = 0;
  for (float v : out) {
    if (!std::isfinite(v)) return s;
    largest = std::max(largest, std::abs(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " (the outputs are finite, up to %.3g in magnitude)", largest);
  return s + buf;
}

// The monitored value of an epoch: "val_loss" or "val_<metric>".
double monitored(const std::string& monitor, const Metrics& m, Task task) {
  const std::string metric = monitor.substr(4);
  if (metric == "loss") return m.loss;
  auto it = m.values.find(metric);
  if (it == m.values.end()) {
    std::string known = "val_loss";
    for (const auto& [k, v] : m.values) known += ", val_" + k;
    throw ConfigError("early_stopping.monitor '" + monitor + "' is not a metric of a " +
                      std::string(name(task)) + " task (known: " + known + ")");
  }
  return it->second;
}

// How many threads take a share of each batch, each running the whole step on its rows through
// a replica of the graph (Graph::replica): a parallel region for the forward, one for the
// backward and one to sum the gradients, where splitting every layer over the threads forks
// and joins them at each layer (about twenty times per LeNet-5 step). 1, layer by layer: under
// MPI, for a graph with buffers (BatchNorm's statistics are the batch's), for shares under four
// million multiply-adds, tens of microseconds (the cars networks, even cars-overfit.toml's 68K
// per car: the threads' wake-ups would cost more than the work), and for models of more than a
// million parameters, whose gradient copies cost more to sum than the joins save (the
// convnet's 3.3M: 13 MB a copy).
int shares_for(Graph& g, int64_t batch, int ranks) {
  const int threads = num_threads();
  if (ranks > 1 || threads < 2 || !g.buffers().empty() || g.num_params() > (int64_t(1) << 20))
    return 1;
  int64_t macs = 0;
  for (const auto& row : g.layer_rows()) macs += row.multiply_adds;
  const int shares = static_cast<int>(std::min<int64_t>(threads, batch));
  return shares > 1 && macs * (batch / shares) >= (int64_t(1) << 22) ? shares : 1;
}

// Runs body(t) on `threads` OpenMP threads, each starting its own regions on itself alone, and
// rethrows the first exception a thread threw (none may leave a parallel region).
template <class F>
void on_threads(int threads, F&& body) {
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    use_one_thread_here();
    try {
      body(omp_get_thread_num());
    } catch (...) {
#pragma omp critical(redes_on_threads)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

Trainer::Trainer(Graph& graph, Loss<float>& loss, const OptimizerSpec& optimizer,
                 const ScheduleSpec& schedule, const TrainSpec& train, Task task)
    : graph_(graph),
      loss_(loss),
      optimizer_(make_optimizer(optimizer)),
      schedule_(schedule),
      train_(train),
      task_(task) {}

Trainer::~Trainer() = default;

std::vector<EpochLog> Trainer::fit(const Dataset& train, const Dataset* val, Rng& rng,
                                   Progress* progress, const Checkpointing* checkpoints) {
  const auto& es = train_.early_stopping;
  const int64_t n = train.size(), bs = train_.batch_size;
  const int64_t batches = (n + bs - 1) / bs;
  Communicator& comm = world();
  const int ranks = comm.size(), me = comm.rank();
  const bool sync_batchnorm = train_.sync_batchnorm && ranks > 1;
  agreed([&] {  // under MPI: every rank finds the same, and it is said once
    REDES_CHECK(!es.enabled || val, ConfigError,
                "early stopping needs a validation set: set data.validation_fraction above 0");
    REDES_CHECK(!es.enabled || es.monitor.rfind("val_", 0) == 0, ConfigError,
                "early_stopping.monitor must start with 'val_', not '" + es.monitor + "'");
    REDES_CHECK(n > 0, DataError, "the training set is empty");
    // A rank without a share of a batch would not join the others' sums.
    const int64_t last = n - (batches - 1) * bs;
    REDES_CHECK(!sync_batchnorm || last >= ranks, ConfigError,
                "[train] sync_batchnorm needs a sample for each of the " + std::to_string(ranks) +
                    " ranks in every batch, and the last batch of the " + std::to_string(n) +
                    " training samples has " + std::to_string(last) +
                    " (choose a batch_size that leaves more)");
  });
  graph_.sync_batch_statistics(sync_batchnorm ? &comm : nullptr);
  LrSchedule schedule(schedule_, optimizer_->lr(), train_.epochs);
  Rng dropout_rng = rng.split();
  // Under MPI each rank takes its share of every batch (redes/distributed.hpp), with dropout and
  // augmentation drawn from generators of its own.
  for (int k = 0; k < me; ++k) dropout_rng = dropout_rng.split();
  if (me > 0) train.split_random(me);  // augmentation too
  TrainState st;
  st.order.resize(n);
  std::iota(st.order.begin(), st.order.end(), 0);
  if (checkpoints && checkpoints->resume) {
    st = *checkpoints->resume;
    REDES_CHECK(static_cast<int64_t>(st.order.size()) == n && st.batch >= 0 && st.batch < batches,
                Error,
                "the checkpoint is of a training set of " + std::to_string(st.order.size()) +
                    " samples, this one has " + std::to_string(n));
    REDES_CHECK(st.ranks.size() == size_t(ranks > 1 ? ranks : 0), Error,
                "the checkpoint is of a training on another number of processes");
    if (ranks > 1) {  // this rank's own generators and metrics
      const RankState& own = st.ranks[size_t(me)];
      st.dropout_rng = own.dropout_rng, st.data_rng = own.data_rng;
      st.batch_metrics = own.batch_metrics;
    }
    rng.restore(st.rng);
    dropout_rng.restore(st.dropout_rng);
    train.set_random_state(st.data_rng);
    optimizer_->set_state(st.optimizer);
    schedule.set_state(st.schedule);
    best_epoch_ = st.best_epoch;
    stopped_early_ = st.finished;  // only early stopping finishes a training before its epochs
  }
  Tensor grad;
  Tensor xs[2], ys[2];  // batch b is in buffer b % 2
  // Thread shares (shares_for): share 0 runs through graph_, share t > 0 through
  // replicas[t - 1], with a generator for its dropout drawn from dropout_rng at every step.
  const int shares = shares_ = shares_for(graph_, bs, ranks);
  std::vector<std::unique_ptr<Graph>> replicas;
  for (int t = 1; t < shares; ++t) replicas.push_back(graph_.replica());
  const auto graph_of = [&](int t) -> Graph& { return t == 0 ? graph_ : *replicas[t - 1]; };
  std::vector<Tensor> share_grad(shares);
  std::vector<Rng> share_rng(shares, Rng(0));
  std::vector<TensorView<const float>> share_out(shares);
  std::vector<double> share_weight(shares);
  const auto gather = [&](int64_t b) {
    const int64_t lo = b * bs, hi = std::min(n, lo + bs);
    const Share mine = share_of(hi - lo, me, ranks);
    train.gather(std::span<const int64_t>(st.order.data() + lo + mine.begin, mine.size()),
                 xs[b % 2], ys[b % 2], true);
  };
  const bool prefetch = train.worth_prefetching() && batches > 1;
  // The dataset's generators as they were before the next batch was gathered: what a
  // checkpoint after this batch must hold, whether or not that gather has already begun.
  std::vector<uint64_t> data_rng_before_next;
  const auto gather_aside = [&](int64_t b) {
    data_rng_before_next = train.random_state();
    return std::async(std::launch::async, [&gather, b] {
      use_one_thread_here();  // beside the training's threads, not in their place
      gather(b);
    });
  };
  std::future<void> next;  // after what it uses: destroyed (waited for) first

  // The state beyond what st keeps up to date as it goes, then the callback.
  // Checkpoints by time come at most every 20 writes' time, so that writing a large model's
  // takes at most 5% of the training.
  const std::function<double()> clock =
      checkpoints && checkpoints->clock ? checkpoints->clock : now_seconds;
  double last_checkpoint = clock(), write_seconds = 0;
  // Under MPI every rank comes here at the same steps (what decides it is agreed), hands in what
  // is its own, and rank 0 writes.
  const auto checkpoint = [&](const MetricsAccumulator* batch_metrics) {
    if (!checkpoints || (ranks == 1 && !checkpoints->write)) return;
    st.batch_metrics = batch_metrics ? batch_metrics->to_json() : nlohmann::json();
    st.rng = rng.saved();
    st.dropout_rng = dropout_rng.saved();
    st.data_rng = prefetch && batch_metrics ? data_rng_before_next : train.random_state();
    if (ranks > 1) {
      const RankState own{st.dropout_rng, st.data_rng, st.batch_metrics};
      st.ranks.clear();
      for (const auto& r : comm.allgather(own.to_json().dump()))
        st.ranks.push_back(RankState::from_json(nlohmann::json::parse(r)));
      if (!checkpoints->write) return;
    }
    st.optimizer = optimizer_->state();
    st.schedule = schedule.state();
    st.best_epoch = best_epoch_;
    const double t = clock();
    checkpoints->write(st);
    last_checkpoint = clock();
    write_seconds = last_checkpoint - t;
  };
  bool stop_everywhere = false;  // ranks > 1: a stop requested on any rank, at the last step
  const auto stop_requested = [&] {
    return checkpoints && checkpoints->stop && checkpoints->stop->load();
  };
  const auto interrupted = [&] {
    return Interrupted("training stopped at epoch " + std::to_string(st.epoch) + ", batch " +
                       std::to_string(st.batch) + " of " + std::to_string(batches));
  };

  const double start = now_seconds();
  // Thrown before batch b's step: the last checkpoint written stays the last good one.
  const auto diverged = [&](const std::string& what, int64_t b, const Graph* in = nullptr) {
    std::string where = (in ? *in : graph_).first_nonfinite();
    for (int t = 1; !in && where.empty() && t < shares; ++t) where = graph_of(t).first_nonfinite();
    return Diverged("training diverged at epoch " + std::to_string(st.epoch) + ", batch " +
                    std::to_string(b + 1) + " of " + std::to_string(batches) + ": " + what +
                    (where.empty() ? "" : "; the first NaN or infinity is in " + where) +
                    "; lower the learning rate or clip the gradients ([train] clip_grad_norm)");
  };
  // One step in thread shares: each thread's forward, the losses of the shares weighed into the
  // batch's (as the ranks' under MPI), each thread's backward, and the shares' gradients summed
  // into graph_'s (each thread a range of them, adding the shares in order). Returns the
  // batch's loss.
  const auto step_in_shares = [&](int64_t b, const Tensor& xb, const Tensor& yb,
                                  MetricsAccumulator& metrics) {
    const int64_t rows = xb.dim(0);
    const int used = static_cast<int>(std::min<int64_t>(shares, rows));
    for (int t = 0; t < used; ++t) share_rng[t] = dropout_rng.split();
    on_threads(used, [&](int t) {
      const Share s = share_of(rows, t, used);
      graph_of(t).zero_grad();
      share_out[t] = graph_of(t).forward(xb.view().slice(s.begin, s.end), true, share_rng[t]);
    });
    double total = 0, sum = 0;
    for (int t = 0; t < used; ++t) {
      const Share s = share_of(rows, t, used);
      const auto y = yb.view().slice(s.begin, s.end);
      const float l = loss_.forward(share_out[t], y);
      if (!std::isfinite(l)) throw diverged(loss_problem(l, share_out[t]), b, &graph_of(t));
      metrics.add(share_out[t], y);
      share_weight[t] = loss_.total_weight(share_out[t], y);
      total += share_weight[t];
      sum += double(l) * share_weight[t];
    }
    for (int t = 0; t < used; ++t) {
      const Share s = share_of(rows, t, used);
      share_grad[t].resize(share_out[t].shape());
      share_grad[t].fill(0.0f);
      loss_.backward(share_out[t], yb.view().slice(s.begin, s.end),
                     total > 0 ? float(share_weight[t] / total) : 0.0f, share_grad[t].view());
    }
    on_threads(used, [&](int t) { graph_of(t).backward(share_grad[t].view()); });
    on_threads(used, [&](int t) {
      const std::span<float> g = graph_.grads();
      const Share mine = share_of(static_cast<int64_t>(g.size()), t, used);
      for (int k = 1; k < used; ++k) {
        const float* other = graph_of(k).grads().data();
        for (int64_t i = mine.begin; i < mine.end; ++i) g[i] += other[i];
      }
    });
    return total > 0 ? float(sum / total) : 0.0f;
  };
  const double done_at_start = double(st.epoch - 1) * batches + st.batch;
  while (!st.finished && st.epoch <= train_.epochs) {
    const int epoch = st.epoch;
    const double t0 = now_seconds();
    MetricsAccumulator train_metrics(task_);
    if (st.batch == 0) {
      if (train_.shuffle) rng.shuffle(st.order);
      st.loss_sum = 0;
    } else {
      train_metrics = MetricsAccumulator::from_json(task_, st.batch_metrics);
    }
    if (prefetch) next = gather_aside(st.batch);
    for (int64_t b = st.batch; b < batches; ++b) {
      const int64_t lo = b * bs, hi = std::min(n, lo + bs);
      const double step_start = now_seconds();
      if (prefetch) {
        next.get();
        if (b + 1 < batches) next = gather_aside(b + 1);
      } else {
        gather(b);
      }
      const Tensor &xb = xs[b % 2], &yb = ys[b % 2];
      // This rank's share of the batch's mean loss and gradient: its mean times its part of the
      // weight the batch's mean divides by (the samples, or the tokens not ignored).
      const int64_t m = share_of(hi - lo, me, ranks).size();
      float l = 0;
      double weight = 0, part = 1;
      TensorView<const float> out;
      if (shares > 1)
        l = step_in_shares(b, xb, yb, train_metrics);
      else
        graph_.zero_grad();
      if (m > 0 && shares == 1) {
        out = graph_.forward(xb.view(), true, dropout_rng);
        l = loss_.forward(out, yb.view());
        if (ranks == 1 && !std::isfinite(l)) throw diverged(loss_problem(l, out), b);
        train_metrics.add(out, yb.view());
        if (ranks > 1) weight = loss_.total_weight(out, yb.view());
      }
      // A checkpoint by time is due (under MPI: by rank 0's clock, which times the writes).
      bool due_by_time =
          checkpoints && checkpoints->every_seconds > 0 &&
          clock() - last_checkpoint >= std::max(checkpoints->every_seconds, 20 * write_seconds);
      if (ranks > 1) {
        // What every rank must know alike: the batch's loss and weight, a stop requested on
        // any rank, a checkpoint due.
        double shared[4] = {double(l) * weight, weight, stop_requested() ? 1.0 : 0.0,
                            me == 0 && due_by_time ? 1.0 : 0.0};
        const double t = now_seconds();
        comm.allreduce_sum(std::span<double>(shared, 4));
        step_times_.reducing += now_seconds() - t;
        l = shared[1] > 0 ? float(shared[0] / shared[1]) : 0.0f;
        part = shared[1] > 0 ? weight / shared[1] : 0.0;
        stop_everywhere = shared[2] > 0;
        due_by_time = shared[3] > 0;
        if (!std::isfinite(l)) throw diverged("the loss is not finite", b);
      }
      if (m > 0 && shares == 1) {
        grad.resize(out.shape());
        grad.fill(0.0f);
        loss_.backward(out, yb.view(), float(part), grad.view());
        graph_.backward(grad.view());
      }
      if (ranks > 1) {  // the shares' gradients summed
        const double t = now_seconds();
        comm.allreduce_sum(graph_.grads());
        step_times_.reducing += now_seconds() - t;
      }
      if (!all_finite(graph_.grads())) throw diverged("a gradient is not finite", b);
      if (train_.clip_grad_norm > 0) clip_grad_norm(graph_.grads(), train_.clip_grad_norm);
      optimizer_->step(graph_.values(), graph_.grads());
      st.loss_sum += double(l) * (hi - lo);
      st.batch = b + 1;
      ++step_times_.steps;
      step_times_.seconds += now_seconds() - step_start;
      if (progress) {
        const double elapsed = now_seconds() - start;
        const double done = double(epoch - 1) * batches + b + 1;
        const double total = double(train_.epochs) * batches;
        const double rate = (done - done_at_start) / std::max(elapsed, 1e-9);
        progress->batch(epoch, train_.epochs, b + 1, batches, st.loss_sum / hi,
                        hi / (now_seconds() - t0), (total - done) / std::max(rate, 1e-9));
      }
      if (st.batch == batches) break;  // the epoch's end writes the checkpoint
      const bool stop = ranks > 1 ? stop_everywhere : stop_requested();
      const bool due = (checkpoints && checkpoints->every_batches > 0 &&
                        st.batch % checkpoints->every_batches == 0) ||
                       due_by_time;
      if (stop || due) {
        if (prefetch) next.wait();  // data_rng_before_next is set; the gather must not race
        checkpoint(&train_metrics);
      }
      if (stop) throw interrupted();
    }
    EpochLog log;
    log.epoch = epoch;
    if (ranks > 1) {  // every rank's batches
      const auto parts = comm.allgather(train_metrics.to_json().dump());
      train_metrics = MetricsAccumulator(task_);
      for (const auto& p : parts)
        train_metrics.merge(MetricsAccumulator::from_json(task_, nlohmann::json::parse(p)));
    }
    log.train = train_metrics.result(st.loss_sum / n);
    log.lr = optimizer_->lr();
    if (val && val->size() > 0) log.val = evaluate(*val);
    log.seconds = now_seconds() - t0;
    st.logs.push_back(log);
    if (progress) progress->epoch(log, train_.epochs);

    if (es.enabled) {
      const double value = monitored(es.monitor, *log.val, task_);
      const bool higher = higher_is_better(es.monitor.substr(4));
      const bool improved =
          epoch == 1 || (higher ? value > st.best + es.min_delta : value < st.best - es.min_delta);
      if (improved) {
        st.best = value, best_epoch_ = epoch, st.since_best = 0;
        if (es.restore_best) st.best_weights.assign(graph_.values().begin(), graph_.values().end());
      } else if (++st.since_best >= es.patience) {
        stopped_early_ = true;
        st.finished = true;
        if (progress)
          progress->message("early stopping after epoch " + std::to_string(epoch) + ": " +
                            es.monitor + " has not improved for " + std::to_string(es.patience) +
                            " epochs");
      }
    } else {
      best_epoch_ = epoch;
    }
    if (!st.finished) {
      const double metric = log.val ? log.val->loss : log.train.loss;
      optimizer_->set_lr(schedule.step(metric));
    }
    st.batch = 0;
    st.epoch = epoch + 1;
    checkpoint(nullptr);  // after the last epoch too: a resume with more epochs goes on from it
    bool stop_now = stop_requested();
    if (ranks > 1) {
      double flag = stop_now ? 1.0 : 0.0;
      comm.allreduce_sum(std::span<double>(&flag, 1));
      stop_now = flag > 0;
    }
    if (!st.finished && st.epoch <= train_.epochs && stop_now) throw interrupted();
  }
  if (es.enabled && es.restore_best && !st.best_weights.empty()) {
    std::copy(st.best_weights.begin(), st.best_weights.end(), graph_.values().begin());
    if (progress) progress->message("restored the weights of epoch " + std::to_string(best_epoch_));
  }
  return st.logs;
}

// Runs the network over every sample in evaluation mode; collects the outputs and, when
// targets is given, the targets (which are small beside the inputs).
// Under MPI each rank runs a contiguous shard, and the shards' outputs are gathered in order.
// The ranks' running statistics (batch norm) are rank 0's, as PyTorch DDP broadcasts them:
// each rank's training batches moved its own, and evaluation must not depend on the rank.
static Tensor run_all(Graph& graph, const Dataset& data, int64_t batch_size, Tensor* targets) {
  Communicator& comm = world();
  if (comm.size() > 1 && !graph.buffers().empty()) comm.broadcast(graph.buffers(), 0);
  const int64_t n = data.size();
  const Share shard = share_of(n, comm.rank(), comm.size());
  Tensor out(graph.output_shape().batched(n));
  const int64_t width = graph.output_shape().numel(), twidth = data.target_shape().numel();
  if (targets) *targets = Tensor(data.target_shape().batched(n));
  std::vector<int64_t> rows;
  Tensor xb, yb;
  Rng unused(0);  // evaluation mode draws no random numbers
  for (int64_t lo = shard.begin; lo < shard.end; lo += batch_size) {
    const int64_t hi = std::min(shard.end, lo + batch_size);
    rows.resize(hi - lo);
    std::iota(rows.begin(), rows.end(), lo);
    data.gather(rows, xb, yb, false);
    auto o = graph.forward(xb.view(), false, unused);
    std::copy(o.begin(), o.end(), out.data() + lo * width);
    if (targets) std::copy(yb.data(), yb.data() + yb.numel(), targets->data() + lo * twidth);
  }
  if (comm.size() > 1) {
    const auto gathered = [&](const Tensor& t, int64_t w) {
      const auto* bytes = reinterpret_cast<const char*>(t.data() + shard.begin * w);
      const auto parts = comm.allgather(std::string(bytes, sizeof(float) * shard.size() * w));
      std::string all;
      for (const auto& p : parts) all += p;
      REDES_CHECK(all.size() == sizeof(float) * size_t(n * w), Error, "the ranks' shards differ");
      return all;
    };
    const std::string o = gathered(out, width);
    std::memcpy(out.data(), o.data(), o.size());
    if (targets) {
      const std::string t = gathered(*targets, twidth);
      std::memcpy(targets->data(), t.data(), t.size());
    }
  }
  return out;
}

Tensor Trainer::predict(const Dataset& data, int64_t batch_size) {
  return run_all(graph_, data, batch_size, nullptr);
}

Metrics Trainer::evaluate(const Dataset& data, int64_t batch_size) {
  Tensor y;
  Tensor out = run_all(graph_, data, batch_size, &y);
  const float l = data.size() ? loss_.forward(out.view(), y.view()) : 0.0f;
  return compute_metrics(task_, out.view(), y.view(), l);
}

}  // namespace redes
