export declare const REQUIRED: string;
export declare function nodeProblem(version: string): string | undefined;
