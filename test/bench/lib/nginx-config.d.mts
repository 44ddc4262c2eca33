// Types of nginx-config.mjs (plain JS: the benchmarks run without a TypeScript loader).
export declare const PROXY_INCLUDE: string
export declare function findNginx (): string | null
export declare function nginxConfig (options: {
  prefix: string
  port: number
  upstreamPorts: number[]
  host?: string
  workerConnections?: number
  openFiles?: number
  backlog?: number
}): string
export declare function nginxArgs (prefix: string): string[]
