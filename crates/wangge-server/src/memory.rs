//! Giving freed memory back to the system after a heavy build. The heat index is built from
//! the store in batches of decoded incidents (about 60 MB each at 200,000); glibc's malloc
//! keeps the freed batches' pages in its arenas, so at 10 million incidents a server held
//! 735 MB resident of which the index was 368 MB. `malloc_trim(0)` returns the free pages
//! (390 MB after it, measured on that workspace: the index and 22 MB besides).

/// Returns the allocator's free pages to the system (glibc); nothing elsewhere.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() {
    // SAFETY: `malloc_trim` takes no pointer and only releases memory malloc holds free; it
    // is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns the allocator's free pages to the system (glibc); nothing elsewhere.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
