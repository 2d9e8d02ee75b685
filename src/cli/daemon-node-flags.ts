// Flags for the Node.js that runs a meshgate daemon (`wg up`, `up`, `start`, the service).
//
// --max-semi-space-size=1: V8's young generation grows to 16 MB semi-spaces under sustained
// traffic (every batch allocates a few short-lived objects), which is ~15 MB of resident memory
// a small board does not have to spare; 1 MB semi-spaces keep it near 3 MB with no measurable
// loss of throughput (npm run bench:memory, bench:tunnel). V8 reads it only at start-up, so it
// must be on node's command line: the same flag is in main.ts's shebang, package.json's
// `start` script and the image's /usr/local/bin/meshgate.
export const DAEMON_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
