export declare const PG_URL: string;
export declare const MARIADB_URL: string;
export declare function probeServers(): Promise<{ targets: string[]; unreachable: Array<{ server: string; reason: string }> }>;
