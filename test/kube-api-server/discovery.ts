// Discovery documents (legacy form), which kubectl reads before anything else.

import { servedVersions, type Resource } from './resources.js';

type Json = any;

function resourceList(resources: readonly Resource[], groupVersion: string): Json {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.flatMap((resource) => [
      {
        name: resource.plural,
        singularName: resource.singular,
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        ...(resource.shortNames ? { shortNames: resource.shortNames } : {}),
        ...(resource.categories ? { categories: resource.categories } : {}),
      },
      ...(resource.status ? [{ name: `${resource.plural}/status`, singularName: '', namespaced: resource.namespaced, kind: resource.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ]),
  };
}

/** A group's versions, the preferred (storage) one first, as APIGroup lists them. */
function groupOf(resources: readonly Resource[], name: string): Json | undefined {
  const members = resources.filter((resource) => resource.group === name);
  if (members.length === 0) return undefined;
  const versions = [...new Set(members.flatMap((resource) => servedVersions(resource)))];
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  const preferred = members[0]!.version;
  return { name, versions: entries, preferredVersion: entries.find((entry) => entry.version === preferred)! };
}

/**
 * The discovery document for a path, given the resources the server holds;
 * `null` for discovery paths this server does not serve (404), `undefined`
 * when the path is not a discovery path.
 */
export function discovery(pathname: string, resources: readonly Resource[]): Json | null | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-portero-test', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') {
    const groups = [...new Set(resources.filter((resource) => resource.group !== '').map((resource) => resource.group))];
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((name) => groupOf(resources, name)) };
  }
  if (path === '/api/v1') return resourceList(resources.filter((resource) => resource.group === ''), 'v1');
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group) {
    const found = groupOf(resources, group[1]!);
    return found ? { kind: 'APIGroup', apiVersion: 'v1', ...found } : null;
  }
  const groupVersion = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (groupVersion) {
    const served = resources.filter((resource) => resource.group === groupVersion[1] && servedVersions(resource).includes(groupVersion[2]!));
    return served.length > 0 ? resourceList(served, `${groupVersion[1]}/${groupVersion[2]}`) : null;
  }
  if (path.startsWith('/openapi')) return null;
  return undefined;
}
