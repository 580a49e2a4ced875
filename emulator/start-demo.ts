// `npm start`: loads the pipeline definitions and runs the demo session (demo-session.ts). The
// definitions are imported here, inside a guard, so a bad one ends start-up with one line naming the
// pipeline and the field and exit code 2 — not a stack trace from a module that failed to load.
try {
  await import('./demo-session');
} catch (error) {
  if (error instanceof Error && error.name === 'PipelineDefinitionError') {
    process.stderr.write(`sluice: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

export {};
