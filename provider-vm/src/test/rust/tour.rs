// A Rust standard-library tour for the HARDWARE level, built with rustc -C target-feature=+crt-static
// (a static-PIE glibc executable): args, environment, stdin, files through mounts, collections, panics.
use std::collections::HashMap;
use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("panic") {
        panic!("deliberate panic");
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in input.chars().filter(|c| c.is_alphabetic()) {
        *counts.entry(c).or_default() += 1;
    }
    let mut letters: Vec<_> = counts.into_iter().collect();
    letters.sort();
    let data = std::fs::read_to_string("/data/in.txt").expect("read /data/in.txt");
    let mut out = std::fs::File::create("/out/rust.txt").expect("create /out/rust.txt");
    writeln!(out, "{}", data.to_uppercase().trim()).unwrap();
    let names: Vec<String> = std::fs::read_dir("/data").unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    println!("args={:?} env={} letters={:?} dir={:?}", args, std::env::var("WHO").unwrap_or_default(), letters, names);
    std::process::exit(3);
}
