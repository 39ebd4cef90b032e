// Discovery documents (legacy form), which kubectl reads before anything else.

import { RESOURCES, type Resource } from './resources.js';

type Json = any;

function resourceList(resources: Resource[], groupVersion: string): Json {
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
      },
      ...(resource.status ? [{ name: `${resource.plural}/status`, singularName: '', namespaced: resource.namespaced, kind: resource.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ]),
  };
}

/**
 * The discovery document for a path; `null` for discovery paths this server
 * does not serve (404), `undefined` when the path is not a discovery path.
 */
export function discovery(pathname: string): Json | null | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-portero-test', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') {
    const groups = [...new Set(RESOURCES.filter((resource) => resource.group !== '').map((resource) => resource.group))];
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((name) => {
        const version = RESOURCES.find((resource) => resource.group === name)!.version;
        const entry = { groupVersion: `${name}/${version}`, version };
        return { name, versions: [entry], preferredVersion: entry };
      }),
    };
  }
  if (path === '/api/v1') return resourceList(RESOURCES.filter((resource) => resource.group === ''), 'v1');
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group) {
    const version = RESOURCES.find((resource) => resource.group === group[1])?.version;
    if (!version) return null;
    const entry = { groupVersion: `${group[1]}/${version}`, version };
    return { kind: 'APIGroup', apiVersion: 'v1', name: group[1], versions: [entry], preferredVersion: entry };
  }
  const groupVersion = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (groupVersion) {
    const resources = RESOURCES.filter((resource) => resource.group === groupVersion[1] && resource.version === groupVersion[2]);
    return resources.length > 0 ? resourceList(resources, `${groupVersion[1]}/${groupVersion[2]}`) : null;
  }
  if (path.startsWith('/openapi')) return null;
  return undefined;
}
