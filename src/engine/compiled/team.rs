//! The threads a split product runs on ([`super::kernels::Gemm`]): the caller and `threads − 1`
//! workers that wait for the next block by spinning, not sleeping.
//!
//! A training step of W4 hands the workers a block four times (the two large products, the
//! optimizer's update, a small product), with the caller's serial work (softmax, the ReLU's
//! derivative) in between. rayon's workers slept in those gaps, and waking one on this VM cost
//! tens of microseconds — an interrupt to a halted virtual CPU — while the caller, done with
//! its own block, waited: 49 ms of a 335 ms W4 f32 run (perf, 2 threads). Here a worker spins
//! for 2 ms (`SPIN`) after its last block, through the gaps of a step, and sleeps only when the
//! products stop (between runs, in a server); a block is taken within a cache-line transfer.
//!
//! # Who runs a block
//! Worker w (1 ≤ w < threads) takes block w of each job; the caller runs block 0, then takes
//! every block whose worker has not started it. Each block writes its own part of the output
//! in a fixed order, so which thread runs it changes no bits.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a worker spins for its next block before it sleeps: longer than the serial work
/// between two products of a step (tens of microseconds), short enough that an idle team
/// costs nothing noticeable.
const SPIN: Duration = Duration::from_millis(2);

/// A block's state, in the low two bits of [`Slot::state`] (the job's number above them):
/// offered, taken by its worker, taken by the caller, finished by the worker.
const OPEN: u64 = 0;
const WORKER: u64 = 1;
const CALLER: u64 = 2;
const DONE: u64 = 3;

/// One worker's block of the current job.
struct Slot {
    /// `job << 2 | OPEN/WORKER/CALLER/DONE`: tagging the state with the job keeps a worker
    /// that wakes late from taking a block of a job that has ended.
    state: AtomicU64,
    /// Set when the worker's block panicked (the caller then panics too).
    panicked: AtomicBool,
}

/// What the caller and the workers share.
struct Shared {
    /// The number of the job on offer (0: none yet).
    job: AtomicU64,
    /// The job's block function, as the address of a `&dyn Fn(usize)` on the caller's stack;
    /// read by a worker only after it has taken its block, while the caller waits for it.
    block: AtomicUsize,
    /// Slot w − 1 is worker w's.
    slots: Vec<Slot>,
    /// Workers asleep; the caller wakes them through `wake` when it offers a job.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
    /// Set when the team is dropped: the workers leave.
    stop: AtomicBool,
    /// Whether there are more threads than cores: a spinning worker then yields, so that it
    /// does not hold a core the caller needs.
    crowded: bool,
}

/// The workers, and the lock that gives one caller at a time the team.
pub struct Team {
    shared: Arc<Shared>,
    /// Held by the caller of [`Team::run`]: a second caller at the same time runs its blocks
    /// itself.
    dispatch: Mutex<()>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Team {
    /// `threads − 1` workers, or `None` if a thread could not be started (the products then
    /// run on the caller's thread, with the same bits).
    pub fn start(threads: usize) -> Option<Team> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let shared = Arc::new(Shared {
            job: AtomicU64::new(0),
            block: AtomicUsize::new(0),
            slots: (1..threads)
                .map(|_| Slot { state: AtomicU64::new(DONE), panicked: AtomicBool::new(false) })
                .collect(),
            sleepers: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            crowded: threads > cores,
        });
        let mut team = Team { shared: Arc::clone(&shared), dispatch: Mutex::new(()), workers: Vec::new() };
        for w in 1..threads {
            let shared = Arc::clone(&shared);
            let worker = std::thread::Builder::new().name(format!("gradlens-{w}")).spawn(move || work(&shared, w));
            // On failure the team is dropped here, which stops the workers already started.
            team.workers.push(worker.ok()?);
        }
        Some(team)
    }

    /// `block(0)` … `block(parts − 1)`, block 0 on the calling thread and block w on worker
    /// w (or on the caller, if the worker has not started it once block 0 is done); returns
    /// when every block has ended.
    ///
    /// # Panics
    /// If a block panics (on a worker: after every block has ended), or if `parts` is more than
    /// the team's threads.
    pub fn run(&self, parts: usize, block: &(dyn Fn(usize) + Sync)) {
        let s = &*self.shared;
        assert!(parts <= s.slots.len() + 1, "more blocks than threads");
        let _dispatch = match self.dispatch.try_lock() {
            Ok(held) => held,
            // A block panicked in an earlier job: the team itself is sound (every slot ended).
            Err(std::sync::TryLockError::Poisoned(held)) => held.into_inner(),
            // Another caller has the team: run every block here.
            Err(std::sync::TryLockError::WouldBlock) => return (0..parts).for_each(block),
        };
        let job = s.job.load(Relaxed) + 1;
        let tag = job << 2;
        // The block function stays on this stack frame; the workers find it by address.
        let at: *const &(dyn Fn(usize) + Sync) = &block;
        s.block.store(at as usize, Relaxed);
        let offered = &s.slots[..parts - 1];
        for slot in offered {
            slot.panicked.store(false, Relaxed);
            slot.state.store(tag | OPEN, Release);
        }
        // SeqCst with the sleepers' count (`work`): either a worker going to sleep sees the new
        // job, or this sees it asleep and wakes it.
        s.job.store(job, SeqCst);
        if s.sleepers.load(SeqCst) > 0 {
            let _lock = s.sleep.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        /// Takes back every block no worker has started and waits for the started ones, on
        /// every way out of `run`: if block 0 panics, no worker is still reading `block` (on
        /// this stack) once the unwinding leaves the frame.
        struct Joined<'a>(&'a [Slot], u64);
        impl Drop for Joined<'_> {
            fn drop(&mut self) {
                for slot in self.0 {
                    let _ = slot.state.compare_exchange(self.1 | OPEN, self.1 | CALLER, AcqRel, Acquire);
                    while slot.state.load(Acquire) == self.1 | WORKER {
                        std::hint::spin_loop();
                    }
                }
            }
        }
        let joined = Joined(offered, tag);
        block(0);
        for (i, slot) in offered.iter().enumerate() {
            if slot.state.compare_exchange(tag | OPEN, tag | CALLER, AcqRel, Acquire).is_ok() {
                block(i + 1);
            }
        }
        drop(joined);
        for slot in offered {
            assert!(!slot.panicked.load(Acquire), "a block of a split product panicked on a worker thread");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.stop.store(true, SeqCst);
        {
            let _lock = s.sleep.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Worker w's loop: wait for a job (spinning, then asleep), take block w if it is offered and
/// the caller has not taken it back, run it, mark it done.
fn work(s: &Shared, w: usize) {
    let slot = &s.slots[w - 1];
    // From "no job yet", not from the job on offer now: a job offered while this thread was
    // starting is still this worker's to take (read as seen, it was left to the caller).
    let mut seen = 0;
    loop {
        let job = wait_for_job(s, seen);
        if s.stop.load(Acquire) {
            return;
        }
        seen = job;
        let tag = job << 2;
        if slot.state.compare_exchange(tag | OPEN, tag | WORKER, AcqRel, Acquire).is_err() {
            // Not offered to this worker, or taken back by the caller.
            continue;
        }
        // SAFETY: the block was offered with this job and taken, so the caller is inside
        // `Team::run` for this job and waits for this slot before leaving: the function whose
        // address it stored before offering the slot (Release, read after the Acquire above)
        // is alive.
        let block = unsafe { *(s.block.load(Relaxed) as *const &(dyn Fn(usize) + Sync)) };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block(w)));
        if ran.is_err() {
            slot.panicked.store(true, Release);
        }
        slot.state.store(tag | DONE, Release);
    }
}

/// Waits until the job on offer is no longer `seen` (or the team stops): spins for [`SPIN`],
/// then sleeps until woken.
fn wait_for_job(s: &Shared, seen: u64) -> u64 {
    let start = Instant::now();
    let mut spins = 0u32;
    loop {
        let job = s.job.load(Acquire);
        if job != seen || s.stop.load(Relaxed) {
            return job;
        }
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(256) {
            if start.elapsed() > SPIN {
                break;
            }
            if s.crowded {
                std::thread::yield_now();
            }
        }
        std::hint::spin_loop();
    }
    let mut lock = s.sleep.lock().unwrap_or_else(|e| e.into_inner());
    s.sleepers.fetch_add(1, SeqCst);
    loop {
        let job = s.job.load(SeqCst);
        if job != seen || s.stop.load(SeqCst) {
            s.sleepers.fetch_sub(1, SeqCst);
            return job;
        }
        lock = s.wake.wait(lock).unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Every block runs exactly once, job after job, whether or not the workers are asleep.
    #[test]
    fn every_block_runs_once_per_job() {
        let team = Team::start(3).expect("threads start");
        for round in 0..200 {
            let counts: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
            let parts = 1 + round % 3;
            team.run(parts, &|b| {
                counts[b].fetch_add(1, Relaxed);
            });
            for (b, c) in counts.iter().enumerate() {
                assert_eq!(c.load(Relaxed), usize::from(b < parts), "round {round}, block {b}");
            }
            if round == 100 {
                // Past SPIN: the workers sleep, and the next job must wake them (or the caller
                // runs their blocks).
                std::thread::sleep(SPIN * 3);
            }
        }
    }

    /// A block that panics on a worker panics the caller, after every block has ended; the
    /// team still runs the next job. Block 0 (the caller's) waits until block 1 has started, so
    /// block 1 runs on the worker, and the caller's panic is the team's, not block 1's own.
    #[test]
    fn a_panicking_block_reaches_the_caller() {
        let team = Team::start(2).expect("threads start");
        let started = AtomicBool::new(false);
        let hit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            team.run(2, &|b| {
                if b == 1 {
                    started.store(true, SeqCst);
                    panic!("block 1");
                }
                let waited = Instant::now();
                while !started.load(SeqCst) {
                    assert!(waited.elapsed() < Duration::from_secs(10), "the worker never took block 1");
                    std::thread::yield_now();
                }
            })
        }));
        let message = hit.expect_err("the worker's panic reaches the caller");
        let message =
            message.downcast_ref::<&str>().copied().or_else(|| message.downcast_ref::<String>().map(|s| s.as_str()));
        assert_eq!(message, Some("a block of a split product panicked on a worker thread"));
        let ran = AtomicUsize::new(0);
        team.run(2, &|_| {
            ran.fetch_add(1, Relaxed);
        });
        assert_eq!(ran.load(Relaxed), 2);
    }
}
