// Password hashing: scrypt N=2^15, r=8, p=1, 16-byte salt (SPEC.md §2), async so a login never
// blocks the event loop (~75 ms each, FACTS.md).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const
const KEY_LENGTH = 32
// Node's default maxmem (32 MiB) is below what N=2^15, r=8 needs (128 * N * r = 32 MiB + overhead).
const MAXMEM = 64 * 1024 * 1024

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { ...options, maxmem: MAXMEM },
      (error, key) => {
        if (error) reject(error)
        else resolve(key)
      },
    )
  })
}

/** `scrypt$N$r$p$saltB64$hashB64` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, PARAMS)
  return [
    'scrypt',
    PARAMS.N,
    PARAMS.r,
    PARAMS.p,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** A hash of a random password, verified against when the username is unknown, so an attacker
 *  cannot tell unknown users from wrong passwords by timing. */
export const decoyPasswordHash = (): Promise<string> =>
  hashPassword(randomBytes(16).toString('hex'))

/** A password for the bootstrap admin when none is configured: 144 random bits, base64url. */
export const generatePassword = (): string => randomBytes(18).toString('base64url')
