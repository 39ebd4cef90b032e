// Certificate authorities and client certificates made at test time with
// the openssl command, as an operator makes them: `openssl req` for the CA,
// `openssl ca` for the certificates it issues (so that validity dates can be
// in the past, and certificates revoked and listed in a CRL). EC P-256
// keys: milliseconds each.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 30_000 });
}

export interface Issued {
  /** PEM of the certificate (leaf only). */
  cert: string;
  /** PEM of its private key. */
  key: string;
}

export interface IssueOptions {
  /** `openssl ca` dates, `YYYYMMDDHHMMSSZ`; default: valid now, for 30 days. */
  start?: string;
  end?: string;
  /** A CA certificate (an intermediate) instead of a client certificate. */
  ca?: boolean;
}

/** A certificate authority on disk: its certificate, key, database and CRL number, in a directory of its own. */
export class TestCa {
  private constructor(
    readonly dir: string,
    /** PEM of the CA certificate. */
    readonly cert: string,
    private readonly config: string,
    /** The temporary directory this CA made (and dispose removes), if it made one. */
    private readonly root: string | undefined,
  ) {}

  /** A self-signed root CA with this common name, in a new directory under `parent` (a temporary one, removed by dispose, when absent). */
  static async create(name: string, parent?: string): Promise<TestCa> {
    const root = parent === undefined ? await mkdtemp(join(tmpdir(), 'portero-ca-')) : undefined;
    const dir = join(parent ?? root!, name.replace(/[^A-Za-z0-9]+/g, '-'));
    await mkdir(dir, { recursive: true });
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-days', '30', '-keyout', 'ca.key', '-out', 'ca.crt', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return TestCa.at(dir, root);
  }

  private static async at(dir: string, root?: string): Promise<TestCa> {
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'serial'), `${(1000 + Math.floor(Math.random() * 9000)).toString()}\n`);
    await writeFile(join(dir, 'crlnumber'), '1000\n');
    const config = join(dir, 'ca.cnf');
    await writeFile(
      config,
      [
        '[ca]',
        'default_ca = ca_default',
        '[ca_default]',
        `dir = ${dir}`,
        'database = $dir/index.txt',
        'serial = $dir/serial',
        'crlnumber = $dir/crlnumber',
        'new_certs_dir = $dir',
        'certificate = $dir/ca.crt',
        'private_key = $dir/ca.key',
        'default_md = sha256',
        'default_days = 30',
        'default_crl_days = 30',
        'policy = policy_any',
        'unique_subject = no',
        'copy_extensions = none',
        'preserve = yes',
        // In the order of the subjects tests write (/C=../O=../CN=..), which `preserve` keeps.
        '[policy_any]',
        'countryName = optional',
        'organizationName = optional',
        'commonName = supplied',
        '[client]',
        'basicConstraints = CA:FALSE',
        'keyUsage = critical,digitalSignature',
        'extendedKeyUsage = clientAuth',
        '[intermediate]',
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign',
        '',
      ].join('\n'),
    );
    return new TestCa(dir, await readFile(join(dir, 'ca.crt'), 'utf8'), config, root);
  }

  /** A certificate with this subject (`/CN=alice/O=Acme`), issued by this CA. */
  async issue(file: string, subject: string, options: IssueOptions = {}): Promise<Issued> {
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-keyout', `${file}.key`, '-out', `${file}.csr`], this.dir);
    const dates = [...(options.start ? ['-startdate', options.start] : []), ...(options.end ? ['-enddate', options.end] : [])];
    await openssl(['ca', '-batch', '-notext', '-config', this.config, '-extensions', options.ca ? 'intermediate' : 'client', ...dates, '-in', `${file}.csr`, '-out', `${file}.crt`], this.dir);
    return { cert: await readFile(join(this.dir, `${file}.crt`), 'utf8'), key: await readFile(join(this.dir, `${file}.key`), 'utf8') };
  }

  /** An intermediate CA issued by this one, that issues certificates of its own. */
  async intermediate(name: string): Promise<TestCa> {
    const issued = await this.issue('intermediate', `/CN=${name}`, { ca: true });
    const dir = join(this.dir, name.replace(/[^A-Za-z0-9]+/g, '-'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ca.crt'), issued.cert);
    await writeFile(join(dir, 'ca.key'), issued.key, { mode: 0o600 });
    return TestCa.at(dir);
  }

  /** Revokes a certificate this CA issued (its file name as given to issue). */
  async revoke(file: string): Promise<void> {
    await openssl(['ca', '-batch', '-config', this.config, '-revoke', `${file}.crt`], this.dir);
  }

  /** The CA's current certificate revocation list, PEM. */
  async crl(): Promise<string> {
    await openssl(['ca', '-batch', '-config', this.config, '-gencrl', '-out', 'ca.crl'], this.dir);
    return readFile(join(this.dir, 'ca.crl'), 'utf8');
  }

  /** Removes the CA's directory (and the temporary one it was made in, with every CA made under it). */
  async dispose(): Promise<void> {
    await rm(this.root ?? this.dir, { recursive: true, force: true });
  }
}
