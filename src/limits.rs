//! The sizes gradlens refuses before allocating, so that a small input (a 40 KB argument, a
//! 150 KB CSV) can never ask for gigabytes. Each check multiplies with overflow-safe arithmetic
//! and its error names the limit.
//!
//! A matrix is bounded by the machine, not by a fixed cap: its bytes must fit in the memory
//! available now (the kernel's MemAvailable plus free swap, within the cgroup's limit), so data
//! that fits trains and a request that cannot fit is refused before it is allocated, with the
//! number it would need.

use crate::error::{Error, Result, Setting};

/// The most parameters a model may have: 2²⁶ (512 MiB of weights; training keeps a few copies).
pub const MAX_PARAMS: usize = 1 << 26;
/// The longest field or record a CSV may have: 64 MiB (a row of 100,000 numbers is about 2 MB).
pub const MAX_CSV_RECORD: usize = 64 << 20;
/// The default bound on what `--data` reads: 8 GiB.
pub const DEFAULT_MAX_DATA_BYTES: u64 = 8 << 30;
/// The default bound on what `--model` reads: 256 MiB (a model of 2²⁶ weights as JSON text is
/// about 1.3 GB; raise it for one that large).
pub const DEFAULT_MAX_MODEL_BYTES: u64 = 256 << 20;
/// Above this many classes a softmax's k×k Jacobian is summarised, not shown number by number.
pub const MAX_SHOWN_JACOBIAN: usize = 16;
/// A trace larger than this (estimated) gets a warning before training: 100 MB.
pub const TRACE_WARN_BYTES: u64 = 100_000_000;

/// The bytes this process can still allocate without the kernel refusing or killing it: the
/// kernel's estimate of available memory plus free swap, capped by the cgroup's memory limit
/// (cgroup v2, or v1's hierarchical limit) less what the cgroup uses. `None` where the system
/// does not say (then nothing is refused for memory).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| {
        meminfo.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    let system = field("MemAvailable:")?.saturating_add(field("SwapFree:").unwrap_or(0)).saturating_mul(1024);
    let cgroup =
        |file: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{file}")).ok()?.trim().parse::<u64>().ok();
    // As for v1 below: the page cache the cgroup holds ("file" in memory.stat) is room.
    let cached = || {
        let stat = std::fs::read_to_string("/sys/fs/cgroup/memory.stat").ok()?;
        stat.lines().find_map(|l| l.strip_prefix("file ")?.trim().parse::<u64>().ok())
    };
    let system = match (cgroup("memory.max"), cgroup("memory.current")) {
        (Some(max), Some(used)) => system.min(max.saturating_sub(used.saturating_sub(cached().unwrap_or(0)))),
        _ => system,
    };
    Some(match cgroup_v1_room() {
        Some(room) => system.min(room),
        None => system,
    })
}

/// The room left under this process's cgroup v1 memory limit (the tightest limit of its
/// cgroup and those above it, `hierarchical_memory_limit`), if it is in one.
fn cgroup_v1_room() -> Option<u64> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroups.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers.split(',').any(|c| c == "memory").then_some(path)
    })?;
    let dir = format!("/sys/fs/cgroup/memory{path}");
    let stat = std::fs::read_to_string(format!("{dir}/memory.stat")).ok()?;
    let limit: u64 = stat.lines().find_map(|l| l.strip_prefix("hierarchical_memory_limit ")?.trim().parse().ok())?;
    let used: u64 = std::fs::read_to_string(format!("{dir}/memory.usage_in_bytes")).ok()?.trim().parse().ok()?;
    // The usage counts the page cache (a mapped file's pages among it), which the kernel drops
    // for an allocation: it is room too.
    let cached: u64 = ["total_active_file ", "total_inactive_file "]
        .iter()
        .filter_map(|key| stat.lines().find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok()))
        .sum();
    Some(limit.saturating_sub(used.saturating_sub(cached)))
}

/// Whether `bytes` more can be allocated ([`available_memory`]); the error says how much they
/// need and how much there is: "need 627 MiB, more than the 412 MiB of memory available".
fn fits_in_memory(bytes: u64) -> std::result::Result<(), String> {
    match available_memory() {
        Some(free) if bytes > free => {
            Err(format!("need {}, more than the {} of memory available", self::bytes(bytes), self::bytes(free)))
        }
        _ => Ok(()),
    }
}

/// Whether `bytes` more can be allocated, the error naming `what` (plural: "the numbers need
/// 627 MiB, more than the 412 MiB of memory available").
pub fn check_memory(what: &str, bytes: u64) -> std::result::Result<(), String> {
    fits_in_memory(bytes).map_err(|why| format!("{what} {why}"))
}

/// A matrix derived from the data (its one-hot targets, a layer's activations) may hold this
/// many times the data's own numbers, and always [`MATRIX_FLOOR`]: the bound follows the input,
/// so real data that fits in memory trains, while a small input (10,000 one-row classes in a
/// 120 KB CSV) cannot ask for gigabytes.
pub const MATRIX_PER_INPUT: usize = 4;
/// The size every derived matrix may have whatever the input: 2²⁶ numbers, 512 MiB.
pub const MATRIX_FLOOR: usize = 1 << 26;

/// `rows × cols` numbers (f64) for `what` (a matrix made from `setting` for data of
/// `input_numbers` numbers), or an error naming the bound it passes and the number it needs: the
/// bound that follows the input ([`MATRIX_PER_INPUT`], [`MATRIX_FLOOR`]) or the memory available.
pub fn matrix(setting: Setting, what: &str, rows: usize, cols: usize, input_numbers: usize) -> Result<usize> {
    let n = rows.checked_mul(cols).filter(|n| n.checked_mul(size_of::<f64>()).is_some());
    let refuse = |why: String| Error::invalid(setting, format!("{what}: {rows} × {cols} numbers {why}"));
    let n = n.ok_or_else(|| refuse("are more than memory can address".into()))?;
    let bound = input_numbers.saturating_mul(MATRIX_PER_INPUT).max(MATRIX_FLOOR);
    if n > bound {
        return Err(refuse(format!(
            "are more than the limit of {} for data of {} numbers ({MATRIX_PER_INPUT}× the data, and at least {})",
            group(bound),
            group(input_numbers),
            group(MATRIX_FLOOR)
        )));
    }
    fits_in_memory((n * size_of::<f64>()) as u64).map_err(refuse)?;
    Ok(n)
}

/// The parameter count of a chain of dense layers of widths `widths` (inputs first), each with a
/// bias when `bias`, or an error about the hidden widths naming the limit.
pub fn dense_chain(widths: &[usize], bias: bool) -> Result<usize> {
    let mut total: usize = 0;
    for w in widths.windows(2) {
        let layer = w[0].checked_add(usize::from(bias)).and_then(|i| i.checked_mul(w[1]));
        total = match layer.and_then(|l| total.checked_add(l)) {
            Some(t) if t <= MAX_PARAMS => t,
            _ => {
                let hidden = widths.get(1..widths.len().saturating_sub(1)).unwrap_or_default();
                let hidden: Vec<String> = hidden.iter().map(usize::to_string).collect();
                return Err(Error::invalid_value(
                    Setting::Hidden,
                    hidden.join(","),
                    format!(
                        "the model would have more than {} parameters (the limit, {} MiB)",
                        group(MAX_PARAMS),
                        (MAX_PARAMS * 8) >> 20
                    ),
                ));
            }
        };
    }
    Ok(total)
}

/// `n` with thousands separators: 67,108,864.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: 256 MiB, 8 GiB, 1.5 KiB, 12 bytes.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v.fract() == 0.0 { format!("{v} {unit}") } else { format!("{v:.1} {unit}") };
        }
    }
    format!("{n} bytes")
}

/// Parses a size such as `4096`, `512M`, `8G`, `1.5GiB` (K, M, G, T as powers of 1024).
pub fn parse_bytes(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(format!("'{}': a size such as 4096, 512M or 8G", crate::safe_text::quoted(text))),
    };
    let shape = || format!("'{}': a size such as 4096, 512M or 8G", crate::safe_text::quoted(text));
    let too_large = || format!("'{}': more than the largest size, {} bytes", crate::safe_text::quoted(text), u64::MAX);
    // A whole number is counted exactly (18446744073709551615 is a size; as an f64 it would round
    // up past the largest); a fraction (1.5G) through f64.
    let total = if num.contains('.') {
        let v: f64 = num.parse().map_err(|_| shape())?;
        let total = v * scale as f64;
        if total >= u64::MAX as f64 {
            return Err(too_large());
        }
        total as u64
    } else {
        let v: u64 = num.parse().map_err(|e: std::num::ParseIntError| match e.kind() {
            std::num::IntErrorKind::PosOverflow => too_large(),
            _ => shape(),
        })?;
        v.checked_mul(scale).ok_or_else(too_large)?
    };
    if total == 0 {
        return Err(format!("'{}': a size of 1 byte or more", crate::safe_text::quoted(text)));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_overflow_into_errors_not_panics() {
        assert_eq!(matrix(Setting::Inputs, "m", 3, 4, 12).unwrap(), 12);
        assert!(matrix(Setting::Inputs, "m", usize::MAX, 2, 1).unwrap_err().to_string().contains("address"));
        // 10,000 × 10,000 from 10,000 numbers: over the floor of 2²⁶, and over 4 × 10,000.
        let err = matrix(Setting::Inputs, "m", 10_000, 10_000, 10_000).unwrap_err().to_string();
        assert!(err.contains("more than the limit of 67,108,864 for data of 10,000 numbers"), "{err}");
        // The same matrix for data of 10⁸ numbers is within 4× the data (if the memory is there).
        if available_memory().is_some_and(|free| free > 800_000_000) {
            assert_eq!(matrix(Setting::Inputs, "m", 10_000, 10_000, 100_000_000).unwrap(), 100_000_000);
        }
        // 2⁶⁰ numbers (8 EiB) fit no machine's memory: the message names what they would need.
        if available_memory().is_some() {
            let err = matrix(Setting::Inputs, "m", 1 << 30, 1 << 30, 1 << 60).unwrap_err().to_string();
            assert!(err.contains("numbers need 8589934592 GiB, more than the"), "{err}");
        }
        // (4 + 1)·16 + (16 + 1)·3 = 131
        assert_eq!(dense_chain(&[4, 16, 3], true).unwrap(), 131);
        assert!(dense_chain(&[4, usize::MAX, 3], true).is_err());
        assert!(dense_chain(&[4, 1_000_000_000, 3], false).is_err());
    }

    #[test]
    fn byte_sizes_parse_and_print() {
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert_eq!(parse_bytes("512M").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("8GiB").unwrap(), 8 << 30);
        assert_eq!(parse_bytes("1.5k").unwrap(), 1536);
        assert!(parse_bytes("lots").is_err() && parse_bytes("0").is_err());
        assert_eq!(bytes(256 << 20), "256 MiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(group(1234567), "1,234,567");
    }
}
