// The dashboard's pure parts: HAProxy's `show stat` read into server states
// and counters, and the page parameters a client may send.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseShowStat, serverState } from '../../src/telemetry/dashboard/live-stats.js';
import { pageOf, pageRequest } from '../../src/telemetry/dashboard/paging.js';

// Columns as HAProxy 2.6 prints them, cut after the ones read (the real header is longer).
const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr';

function line(server: string, status: string, scur: number, stot: number, h5: number, addr: string, bck = 0): string {
  const fields = HEADER.slice(2).split(',').map(() => '');
  const set = (name: string, value: string | number) => (fields[HEADER.slice(2).split(',').indexOf(name)] = String(value));
  set('pxname', 'default_app_80');
  set('svname', server);
  set('status', status);
  set('scur', scur);
  set('stot', stot);
  set('bin', 100);
  set('bout', 2048);
  set('hrsp_5xx', h5);
  set('lastsess', 3);
  set('type', 2);
  set('bck', bck);
  set('addr', addr);
  return fields.join(',');
}

describe('dashboard: show stat', () => {
  test('servers with their state and counters; backend rows are left out', () => {
    const text = [HEADER, line('10.0.0.1_80', 'no check', 2, 40, 1, '10.0.0.1:80'), line('10.0.0.2_80', 'DRAIN', 1, 7, 0, '10.0.0.2:80'), line('10.0.0.3_80', 'MAINT', 0, 0, 0, '10.0.0.3:80', 1), HEADER.replace('# ', '').replace(/^pxname,svname/, 'default_app_80,BACKEND').replace(/,type,/, ',1,'), ''].join('\n');
    const servers = parseShowStat(text);
    assert.deepEqual(servers.map((s) => [s.server, s.state, s.current, s.total, s.errors5xx, s.address, s.backup]), [
      ['10.0.0.1_80', 'up', 2, 40, 1, '10.0.0.1:80', false],
      ['10.0.0.2_80', 'drain', 1, 7, 0, '10.0.0.2:80', false],
      ['10.0.0.3_80', 'maintenance', 0, 0, 0, '10.0.0.3:80', true],
    ]);
    assert.equal(servers[0]?.bytesOut, 2048);
    assert.equal(servers[0]?.lastSession, 3);
  });

  test("HAProxy's words for a server's status", () => {
    assert.equal(serverState('UP'), 'up');
    assert.equal(serverState('UP 1/3'), 'up');
    assert.equal(serverState('no check'), 'up');
    assert.equal(serverState('DRAIN'), 'drain');
    assert.equal(serverState('MAINT (resolution)'), 'maintenance');
    assert.equal(serverState('DOWN'), 'down');
    assert.equal(serverState('???'), 'unknown');
  });

  test('an error answer (an unknown section) holds no server', () => {
    assert.deepEqual(parseShowStat('No such proxy.\n'), []);
  });
});

describe('dashboard: paging', () => {
  test('malformed parameters fall back to defaults; sizes are bounded', () => {
    assert.deepEqual(pageRequest(new URLSearchParams('page=-1&size=abc')), { q: '', page: 1, size: 50 });
    assert.deepEqual(pageRequest(new URLSearchParams('page=3&size=999999')), { q: '', page: 3, size: 200 });
    assert.equal(pageRequest(new URLSearchParams(`q=${'x'.repeat(5000)}`)).q.length, 200);
  });

  test('every word of the query must appear; a page past the end is the last', () => {
    const rows = ['a.test /x', 'b.test /x', 'a.test /y'];
    const page = pageOf(rows, (row) => row, { q: 'A.TEST  /x', page: 1, size: 10 });
    assert.deepEqual(page.items, ['a.test /x']);
    const last = pageOf(rows, (row) => row, { q: '', page: 99, size: 2 });
    assert.deepEqual([last.page, last.pages, last.items], [2, 2, ['a.test /y']]);
  });
});
