// Prints the one plain line CI reads, `N passed, N failed, N skipped`, from vitest's JSON report.
// A missing or unreadable report counts as one failure, so a crash never reads as green.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'node_modules/.cache/vitest.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  // Suites that failed to load (import errors) report no tests: count each as a failure.
  const brokenSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  const failed = r.numFailedTests + brokenSuites;
  console.log(`${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  process.exit(failed > 0 || r.numPassedTests === 0 ? 1 : 0);
} catch (error) {
  console.error(`vitest-summary: cannot read ${file}: ${error instanceof Error ? error.message : error}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
