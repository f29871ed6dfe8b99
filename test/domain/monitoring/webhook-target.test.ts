import { describe, expect, it } from 'vitest';
import { internalRangeOf, webhookUrlProblem } from '../../../api/domain/monitoring/webhook-target.js';

const DEFAULT = { allowPrivate: false, requireHttps: false };

describe('internalRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    // IPv4-mapped and NAT64 forms of internal IPv4 addresses
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['::127.0.0.1', 'reserved'],
  ])('%s is %s', (ip, range) => {
    expect(internalRangeOf(ip)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '93.184.215.14',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    'example.com',
  ])('%s is not internal', (ip) => {
    expect(internalRangeOf(ip)).toBeUndefined();
  });
});

describe('webhookUrlProblem', () => {
  it.each([
    ['http://127.0.0.1:9000/x', 'must not point at an internal address (127.0.0.1 is loopback)'],
    ['http://2130706433/', 'must not point at an internal address (127.0.0.1 is loopback)'],
    ['http://0x7f.0.0.1/', 'must not point at an internal address (127.0.0.1 is loopback)'],
    ['http://017700000001/', 'must not point at an internal address (127.0.0.1 is loopback)'],
    ['http://[::ffff:127.0.0.1]/', 'must not point at an internal address (::ffff:7f00:1 is loopback)'],
    ['http://localhost/', 'must not point at an internal address (localhost is loopback)'],
    ['http://api.localhost./', 'must not point at an internal address (api.localhost. is loopback)'],
    [
      'http://169.254.169.254/latest',
      'must not point at an internal address (169.254.169.254 is link-local)',
    ],
    ['ftp://example.com/', 'must be an http(s) URL'],
    ['https://user:pass@example.com/', 'must not carry credentials (receivers check the signature instead)'],
    ['not a url', 'must be an absolute http(s) URL'],
  ])('refuses %s by default', (url, problem) => {
    expect(webhookUrlProblem(url, DEFAULT)).toBe(problem);
  });

  it('accepts public hosts, and internal ones only when private targets are allowed', () => {
    expect(webhookUrlProblem('https://hooks.example.com/a?b=c', DEFAULT)).toBeUndefined();
    expect(webhookUrlProblem('http://93.184.215.14/', DEFAULT)).toBeUndefined();
    const local = { allowPrivate: true, requireHttps: false };
    expect(webhookUrlProblem('http://127.0.0.1:9000/x', local)).toBeUndefined();
    expect(webhookUrlProblem('http://localhost/', local)).toBeUndefined();
  });

  it('requires https when the policy says so', () => {
    const aws = { allowPrivate: false, requireHttps: true };
    expect(webhookUrlProblem('http://hooks.example.com/', aws)).toBe('must use https');
    expect(webhookUrlProblem('https://hooks.example.com/', aws)).toBeUndefined();
    expect(webhookUrlProblem('https://10.0.0.1/', aws)).toBe(
      'must not point at an internal address (10.0.0.1 is private)',
    );
  });
});
