//! The text example plugin in Rust: the same handlers as `examples/text/text.c`, answering the same call table.

use isolate_guest::{log, plugin, register, Level};

/// ASCII letters in upper case; every other byte as it was.
fn upper(input: &[u8]) -> Result<Vec<u8>, String> {
    Ok(input.to_ascii_uppercase())
}

/// The UTF-8 characters in reverse order (a byte that is not valid UTF-8 counts as one character), as text.c does.
fn reverse(input: &[u8]) -> Result<Vec<u8>, String> {
    let len = input.len();
    let mut out = vec![0u8; len];
    let mut i = 0;
    while i < len {
        let mut n = 1;
        while i + n < len && n < 4 && input[i] & 0x80 != 0 && input[i + n] & 0xC0 == 0x80 {
            n += 1;
        }
        out[len - i - n..len - i].copy_from_slice(&input[i..i + n]);
        i += n;
    }
    Ok(out)
}

/// "LINES WORDS BYTES", as wc counts them.
fn count(input: &[u8]) -> Result<Vec<u8>, String> {
    let (mut lines, mut words, mut in_word) = (0usize, 0usize, false);
    for &b in input {
        let space = matches!(b, b' ' | b'\n' | b'\t' | b'\r' | 0x0b | 0x0c);
        if b == b'\n' {
            lines += 1;
        }
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    Ok(format!("{} {} {}", lines, words, input.len()).into_bytes())
}

/// Nothing in, nothing out: what a call costs.
fn nop(_input: &[u8]) -> Result<Vec<u8>, String> {
    Ok(Vec::new())
}

plugin!({
    for (name, handler) in [("upper", upper as isolate_guest::Handler), ("reverse", reverse), ("count", count),
        ("nop", nop)] {
        register(name, handler).expect("registering a handler");
    }
    log(Level::Info, "text plugin (Rust) ready");
});
