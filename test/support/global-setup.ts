import { ensureDebianPackages } from './debian.ts'

// Runs once before all test files: the real tools the tests drive must be present.
export default function setup(): void {
  ensureDebianPackages()
}
