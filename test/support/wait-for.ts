// Waits, with a bound, until a condition holds: for what a test cannot be told about by an event
// (a push reaching a handler in another part of the local cloud). Polls; never a fixed sleep.
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
