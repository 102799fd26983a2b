import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  generateMasterKeySpec,
  newDataKey,
  parseKeyring,
  unwrapDataKey,
  wrapDataKey,
} from './keyring.js'

const b64 = () => randomBytes(32).toString('base64')

describe('parseKeyring', () => {
  it('takes the first key of COFFER_MASTER_KEYS as current', () => {
    const ring = parseKeyring({ keys: `new:${b64()},old:${b64()}` }, 'test')
    expect(ring.currentId).toBe('new')
    expect([...ring.keys.keys()]).toEqual(['new', 'old'])
  })

  it('accepts a single COFFER_MASTER_KEY', () => {
    expect(parseKeyring({ key: b64() }, 'test').keys.size).toBe(1)
  })

  it('reads the generated key file syntax', () => {
    expect(parseKeyring({ keys: generateMasterKeySpec() }, 'file').currentId).toBe('k1')
  })

  it.each([
    ['a short key', { key: Buffer.alloc(16).toString('base64') }],
    ['not base64', { key: '!!!!' }],
    ['a missing id', { keys: `:${b64()}` }],
    ['a duplicate id', { keys: `a:${b64()},a:${b64()}` }],
    ['nothing', {}],
  ])('refuses %s without echoing the key', (_, spec) => {
    expect(() => parseKeyring(spec, 'COFFER_MASTER_KEYS')).toThrow(/COFFER_MASTER_KEYS/)
  })
})

describe('data keys', () => {
  it('unwraps what it wrapped, under an older key of the ring too', () => {
    const old = parseKeyring({ keys: `old:${b64()}` }, 't')
    const dataKey = newDataKey()
    const wrapped = wrapDataKey(old, 'owner1', dataKey)
    const rotated = parseKeyring(
      { keys: `new:${b64()},old:${old.keys.get('old')!.toString('base64')}` },
      't',
    )
    expect(unwrapDataKey(rotated, 'owner1', wrapped.masterKeyId, wrapped.wrappedKey)).toEqual(
      dataKey,
    )
  })

  it('refuses a wrapped key moved to another owner', () => {
    const ring = parseKeyring({ key: b64() }, 't')
    const wrapped = wrapDataKey(ring, 'owner1', newDataKey())
    expect(() => unwrapDataKey(ring, 'owner2', wrapped.masterKeyId, wrapped.wrappedKey)).toThrow(
      expect.objectContaining({ code: 'integrity_error' }),
    )
  })

  it('names a master key id that is missing from the ring', () => {
    const ring = parseKeyring({ key: b64() }, 't')
    expect(() => unwrapDataKey(ring, 'o', 'gone', Buffer.alloc(40))).toThrow(/"gone"/)
  })
})
