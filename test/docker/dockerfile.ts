// A small Dockerfile reader for the image checks: stages, and their instructions with
// continuation lines joined. Enough for our own Dockerfile, not a general parser.
import { readFileSync } from 'node:fs'

export interface Instruction {
  keyword: string
  args: string
}

export interface Stage {
  image: string
  name: string | undefined
  instructions: Instruction[]
}

export function readDockerfile (path: string): { args: Record<string, string>, stages: Stage[] } {
  const lines = readFileSync(path, 'utf8').split('\n')
  const logical: string[] = []
  let current = ''
  for (const line of lines) {
    if (current === '' && /^\s*(#|$)/.test(line)) continue
    if (/^\s*#/.test(line)) continue // comment inside a continued instruction
    if (line.endsWith('\\')) { current += line.slice(0, -1) + ' '; continue }
    logical.push((current + line).trim())
    current = ''
  }
  const args: Record<string, string> = {}
  const stages: Stage[] = []
  for (const text of logical) {
    const [keyword = '', ...rest] = text.split(/\s+/)
    const argsText = rest.join(' ')
    if (keyword.toUpperCase() === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = argsText.split('=')
      args[name] = value
    } else if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(argsText)
      const image = (m?.[1] ?? '').replace(/\$\{(\w+)\}/g, (_x, name: string) => args[name] ?? '')
      stages.push({ image, name: m?.[2], instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args: argsText })
    }
  }
  return { args, stages }
}

export interface Copy {
  from: string | undefined
  sources: string[]
  destination: string
}

export function copiesOf (stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => {
    const words = i.args.split(/\s+/)
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
    const paths = words.filter((w) => !w.startsWith('--'))
    return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' }
  })
}

/** ENV KEY=value pairs of a stage (values without spaces, as in our Dockerfile). */
export function envOf (stage: Stage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const [key, ...value] = pair.split('=')
      if (key !== undefined && key !== '' && value.length > 0) env[key] = value.join('=')
    }
  }
  return env
}
