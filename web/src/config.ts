// The app's run-time configuration: /config.json, written by the host (CloudFront's deployment in AWS, the local
// twin offline) next to the build, so one build serves every stage. Its shape is site.Config in
// constructs/notesweb/site.

export interface PasswordPolicy {
  minLength: number;
  requireLowercase: boolean;
  requireUppercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
}

export interface Config {
  /** The notes API's invoke URL, ending in "/". */
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The Cognito endpoint; absent in AWS, where it is https://cognito-idp.<region>.amazonaws.com/. */
  cognitoEndpoint?: string;
  passwordPolicy: PasswordPolicy;
}

export const CONFIG_PATH = '/config.json';

/** ConfigError says what is wrong with the configuration, for the person who deployed the app. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function httpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** parseConfig checks a decoded config.json and names every problem at once. */
export function parseConfig(raw: unknown): Config {
  if (!isRecord(raw)) throw new ConfigError(`${CONFIG_PATH} is not a JSON object`);
  const problems: string[] = [];
  const text = (key: string): string => {
    const v = raw[key];
    if (typeof v !== 'string' || v.trim() === '') {
      problems.push(`${key} must be a non-empty string`);
      return '';
    }
    return v;
  };
  const apiUrl = text('apiUrl');
  if (apiUrl && (!httpUrl(apiUrl) || !apiUrl.endsWith('/'))) problems.push('apiUrl must be an http(s) URL ending in "/"');
  const region = text('region');
  const userPoolId = text('userPoolId');
  if (userPoolId && region && !userPoolId.startsWith(region + '_')) {
    problems.push(`userPoolId must start with the region and "_" (${region}_…)`);
  }
  const userPoolClientId = text('userPoolClientId');
  let cognitoEndpoint: string | undefined;
  if (raw.cognitoEndpoint !== undefined) {
    if (!httpUrl(raw.cognitoEndpoint)) problems.push('cognitoEndpoint, when present, must be an http(s) URL');
    else cognitoEndpoint = raw.cognitoEndpoint as string;
  }
  const pp = raw.passwordPolicy;
  const policy: PasswordPolicy = {
    minLength: 0,
    requireLowercase: false,
    requireUppercase: false,
    requireNumbers: false,
    requireSymbols: false,
  };
  if (!isRecord(pp)) {
    problems.push('passwordPolicy must be an object');
  } else {
    if (typeof pp.minLength !== 'number' || !Number.isInteger(pp.minLength) || pp.minLength < 0) {
      problems.push('passwordPolicy.minLength must be a whole number');
    } else {
      policy.minLength = pp.minLength;
    }
    for (const key of ['requireLowercase', 'requireUppercase', 'requireNumbers', 'requireSymbols'] as const) {
      if (typeof pp[key] !== 'boolean') problems.push(`passwordPolicy.${key} must be true or false`);
      else policy[key] = pp[key];
    }
  }
  if (problems.length > 0) throw new ConfigError(`${CONFIG_PATH} is not usable: ${problems.join('; ')}`);
  const cfg: Config = { apiUrl, region, userPoolId, userPoolClientId, passwordPolicy: policy };
  if (cognitoEndpoint !== undefined) cfg.cognitoEndpoint = cognitoEndpoint;
  return cfg;
}

/** loadConfig fetches and checks /config.json. It is never cached: a new deployment may change it. */
export async function loadConfig(fetchFn: typeof fetch = fetch): Promise<Config> {
  let resp: Response;
  try {
    resp = await fetchFn(CONFIG_PATH, { cache: 'no-store' });
  } catch {
    throw new ConfigError(`Could not load ${CONFIG_PATH}: the site cannot be reached. Check your connection and reload.`);
  }
  if (!resp.ok) {
    throw new ConfigError(`Could not load ${CONFIG_PATH} (HTTP ${resp.status}): the site was deployed without its configuration.`);
  }
  let raw: unknown;
  try {
    raw = await resp.json();
  } catch {
    throw new ConfigError(`${CONFIG_PATH} is not valid JSON.`);
  }
  return parseConfig(raw);
}

/** cognitoEndpoint is where the app talks to Cognito: the configured endpoint, else the region's public one. */
export function cognitoEndpoint(cfg: Config): string {
  return cfg.cognitoEndpoint ?? `https://cognito-idp.${cfg.region}.amazonaws.com/`;
}
