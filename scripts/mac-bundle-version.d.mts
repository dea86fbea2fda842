export declare const BUILD_NUMBER_VARIABLES: string[];
export declare function macBundleVersions(
  version: string,
  env?: Record<string, string | undefined>,
): { version: string; build: string };
