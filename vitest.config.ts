import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // chDB allows one engine per process: every test file runs in its own forked process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
