// Reading from people and pipes: line prompts on a terminal (hidden for passwords and values, no
// echo at all) and stdin as bytes. Prompts go to stderr so stdout stays the command's data.

/** What the terminal's keys did to the line being typed. */
export interface LineState {
  readonly text: string
  /** What to write back so the terminal shows the visible line (empty when hidden). */
  readonly echo: string
  readonly outcome: 'typing' | 'enter' | 'interrupt'
}

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const CTRL_U = '\u0015'
const ESCAPE = '\u001b'

/** Pure: applies one chunk of raw-mode input (a key press or a paste) to the line. */
export function typeKeys(text: string, chunk: string, hidden: boolean): LineState {
  // Arrow and function keys arrive as one escape sequence per chunk; they edit nothing here.
  if (chunk.startsWith(ESCAPE)) return { text, echo: '', outcome: 'typing' }
  let line = text
  let echo = ''
  for (const char of chunk) {
    if (char === CTRL_C) return { text: line, echo, outcome: 'interrupt' }
    if (char === '\r' || char === '\n' || (char === CTRL_D && line === '')) {
      return { text: line, echo, outcome: 'enter' }
    }
    if (char === '\u007f' || char === '\b') {
      // One key press removes one character as people see it, emoji included.
      const last = Array.from(new Intl.Segmenter().segment(line)).at(-1)
      if (last) {
        line = line.slice(0, last.index)
        if (!hidden) echo += '\b \b'
      }
    } else if (char === CTRL_U) {
      if (!hidden) echo += '\b \b'.repeat(Array.from(new Intl.Segmenter().segment(line)).length)
      line = ''
    } else if (char >= ' ') {
      line += char
      if (!hidden) echo += char
    }
  }
  return { text: line, echo, outcome: 'typing' }
}

export interface Prompter {
  /** True when stdin is a terminal a person can answer on. */
  readonly interactive: boolean
  ask(question: string): Promise<string>
  /** Security: nothing typed is echoed, not even asterisks (they reveal the length). */
  askHidden(question: string): Promise<string>
  /** All of stdin, as bytes. */
  readStdin(): Promise<Buffer>
}

export interface PrompterOptions {
  readonly input: NodeJS.ReadStream
  readonly output: NodeJS.WritableStream
}

/** Ctrl-C at a prompt (raw mode turns it into a keystroke, not a signal). The CLI ends with
 *  130, 128 + SIGINT by convention, after the command's clean-up ran. */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted at a prompt')
  }
}

export function createPrompter({ input, output }: PrompterOptions): Prompter {
  const interactive = input.isTTY

  function readLine(question: string, hidden: boolean): Promise<string> {
    output.write(question)
    return new Promise((resolve, reject) => {
      let text = ''
      const wasRaw = input.isRaw
      input.setRawMode(true)
      input.setEncoding('utf8')
      const finish = (): void => {
        input.off('data', onData)
        input.setRawMode(wasRaw)
        input.pause()
        output.write('\n')
      }
      const onData = (chunk: string): void => {
        const state = typeKeys(text, chunk, hidden)
        text = state.text
        if (state.echo !== '') output.write(state.echo)
        if (state.outcome === 'interrupt') {
          finish()
          reject(new PromptInterrupted())
          return
        }
        if (state.outcome === 'enter') {
          finish()
          resolve(text)
        }
      }
      input.on('data', onData)
      input.resume()
    })
  }

  return {
    interactive,
    ask: (question) => readLine(question, false),
    askHidden: (question) => readLine(question, true),
    readStdin: () => readStdin(input),
  }
}

export async function readStdin(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of input) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)
  }
  return Buffer.concat(chunks)
}

/** `echo x | coffer …` adds one newline that is not part of the value: strip one, only one. */
export function stripTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text
}
