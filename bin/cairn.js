#!/usr/bin/env node
// The `cairn` command. Cairn runs from its TypeScript sources: tsx compiles each
// module once at load, so there is no build step that can go stale.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
