// The image's HEALTHCHECK: healthy when the shop's process answers 200 on
// /health/ready (PORT), or the gateway's admin port on /health (PROXY_ADMIN_PORT),
// whichever of the two this container runs. Plain JavaScript: it runs without a build.
const probes = [
  `http://127.0.0.1:${process.env.PORT || 3000}/health/ready`,
  `http://127.0.0.1:${process.env.PROXY_ADMIN_PORT || 8081}/health`,
];
for (const url of probes) {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (answer.ok) process.exit(0);
  } catch {
    // Not this kind of process, or not ready: try the other.
  }
}
process.exit(1);
