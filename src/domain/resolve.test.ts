import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Manifest } from './manifest.js'
import { PRECEDENCE, resolveEnvironment } from './resolve.js'
import type { Entry, EntrySource } from './types.js'

const entry = (name: string, source: EntrySource, id = `${source}-${name}`): Entry => ({
  name,
  source,
  id,
})
const manifest = (required: string[], optional: string[] = []): Manifest => ({
  secrets: [
    ...required.map((key) => ({ key, optional: false })),
    ...optional.map((key) => ({ key, optional: true })),
  ],
})

const anEntry = fc.record({
  name: fc.constantFrom('A', 'B', 'C', 'D', 'OPENAI_API_KEY'),
  source: fc.constantFrom<EntrySource>('variable', 'linked', 'provider', 'direct'),
  id: fc.string({ minLength: 1, maxLength: 6 }),
})
const aManifest = fc.record({
  secrets: fc.uniqueArray(
    fc.record({
      key: fc.constantFrom('A', 'B', 'C', 'E', 'OPENAI_API_KEY'),
      optional: fc.boolean(),
    }),
    { selector: (r) => r.key },
  ),
})

describe('resolveEnvironment', () => {
  it('ranks variables < linked < direct', () => {
    const { winners } = resolveEnvironment([
      entry('X', 'variable'),
      entry('X', 'direct'),
      entry('X', 'linked'),
    ])
    expect(winners.get('X')?.source).toBe('direct')
    expect(
      resolveEnvironment([entry('Y', 'linked'), entry('Y', 'variable')]).winners.get('Y')?.source,
    ).toBe('linked')
  })

  it('reports what each winner shadows, strongest first', () => {
    const { shadowed } = resolveEnvironment([
      entry('X', 'variable'),
      entry('X', 'direct'),
      entry('X', 'linked'),
    ])
    expect(shadowed.get('X')?.map((e) => e.source)).toEqual(['linked', 'variable'])
  })

  it('injects only declared keys and lists missing required ones in manifest order', () => {
    const result = resolveEnvironment(
      [entry('A', 'variable'), entry('B', 'direct'), entry('Z', 'direct')],
      manifest(['C', 'A', 'D'], ['B', 'E']),
    )
    expect([...result.winners.keys()]).toEqual(['A', 'B'])
    expect(result.missing).toEqual(['C', 'D'])
  })

  it('lets an empty manifest inject nothing, and no manifest inject everything', () => {
    const entries = [entry('A', 'variable'), entry('B', 'direct')]
    expect(resolveEnvironment(entries, { secrets: [] }).winners.size).toBe(0)
    expect(resolveEnvironment(entries).winners.size).toBe(2)
  })

  it('property: every winner is an entry of the highest rank for its name', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 30 }), (entries) => {
        const { winners } = resolveEnvironment(entries)
        for (const [name, winner] of winners) {
          const best = Math.max(
            ...entries.filter((e) => e.name === name).map((e) => PRECEDENCE[e.source]),
          )
          expect(PRECEDENCE[winner.source]).toBe(best)
          expect(entries).toContain(winner)
        }
        expect(new Set(winners.keys())).toEqual(new Set(entries.map((e) => e.name)))
      }),
    )
  })

  it('property: the result does not depend on input order', () => {
    fc.assert(
      fc.property(
        fc.array(anEntry, { maxLength: 30 }).chain((entries) =>
          fc.tuple(
            fc.constant(entries),
            fc.shuffledSubarray(entries, {
              minLength: entries.length,
              maxLength: entries.length,
            }),
          ),
        ),
        fc.option(aManifest, { nil: undefined }),
        ([entries, shuffled], declared) => {
          const a = resolveEnvironment(entries, declared)
          const b = resolveEnvironment(shuffled, declared)
          expect([...b.winners]).toEqual([...a.winners])
          expect(b.missing).toEqual(a.missing)
        },
      ),
    )
  })

  it('property: filtering by requirements never adds names', () => {
    fc.assert(
      fc.property(fc.array(anEntry, { maxLength: 30 }), aManifest, (entries, declared) => {
        const all = resolveEnvironment(entries).winners
        const filtered = resolveEnvironment(entries, declared)
        for (const [name, winner] of filtered.winners) {
          expect(all.get(name)).toBe(winner)
          expect(declared.secrets.some((r) => r.key === name)).toBe(true)
        }
        for (const name of filtered.missing) {
          expect(all.has(name)).toBe(false)
          expect(declared.secrets.find((r) => r.key === name)?.optional).toBe(false)
        }
      }),
    )
  })
})
