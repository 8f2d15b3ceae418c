/**
 * Retries an assertion until it passes or the deadline comes, for effects that happen in the
 * background (a job worker, a message update). Bounded: it fails with the last assertion error.
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
