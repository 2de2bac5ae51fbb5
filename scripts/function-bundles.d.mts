import type { BuildOptions } from 'esbuild';

export declare const functionNames: readonly string[];
export declare const nodeMajor: number;
export declare const externalPackages: readonly string[];
export declare const optionalRequires: readonly string[];
export declare function bundleOptions(name: string): BuildOptions;
