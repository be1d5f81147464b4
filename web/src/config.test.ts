import { describe, expect, it } from 'vitest';

import { cognitoEndpoint, ConfigError, loadConfig, parseConfig } from './config';

const good = {
  apiUrl: 'http://127.0.0.1:3000/',
  region: 'us-east-1',
  userPoolId: 'us-east-1_AbC123',
  userPoolClientId: 'abcdefghij0123456789klmnop',
  cognitoEndpoint: 'http://127.0.0.1:9229',
  passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false },
};

describe('parseConfig', () => {
  it('accepts the twin config', () => {
    expect(parseConfig(good)).toEqual(good);
  });

  it('names every problem at once', () => {
    const bad = { ...good, apiUrl: 'http://127.0.0.1:3000', userPoolId: 'eu-west-1_X', passwordPolicy: { minLength: 'x' } };
    expect(() => parseConfig(bad)).toThrowError(ConfigError);
    try {
      parseConfig(bad);
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('apiUrl must be an http(s) URL ending in "/"');
      expect(msg).toContain('userPoolId must start with the region');
      expect(msg).toContain('passwordPolicy.minLength must be a whole number');
      expect(msg).toContain('passwordPolicy.requireSymbols must be true or false');
    }
  });

  it('refuses what is not an object', () => {
    expect(() => parseConfig([])).toThrowError(/not a JSON object/);
  });
});

describe('cognitoEndpoint', () => {
  it('is the configured endpoint, else the region’s public one', () => {
    expect(cognitoEndpoint(parseConfig(good))).toBe('http://127.0.0.1:9229');
    const { cognitoEndpoint: _, ...aws } = good;
    expect(cognitoEndpoint(parseConfig(aws))).toBe('https://cognito-idp.us-east-1.amazonaws.com/');
  });
});

describe('loadConfig', () => {
  it('fetches /config.json without caching', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const cfg = await loadConfig(async (input, init) => {
      calls.push([String(input), init]);
      return Response.json(good);
    });
    expect(cfg.apiUrl).toBe(good.apiUrl);
    expect(calls).toEqual([['/config.json', { cache: 'no-store' }]]);
  });

  it('says the site lacks its configuration on a 404', async () => {
    await expect(loadConfig(async () => new Response('not found', { status: 404 }))).rejects.toThrowError(
      /HTTP 404\): the site was deployed without its configuration/,
    );
  });

  it('says when it is not JSON', async () => {
    await expect(loadConfig(async () => new Response('<html>'))).rejects.toThrowError(/not valid JSON/);
  });
});
