// Loaded with `node --import` by www/test/cli-safety.test.js into a real `bc-spend` process, to
// make the file system fail where a test needs it (a kill mid-write, a full disk). No hook in
// the product: the process's own fs is patched, as a real failure would reach it.
//
//   BC_SPEND_TEST_FAULT=kill-at-rename:NAME     SIGKILL the process as it renames a file onto NAME
//   BC_SPEND_TEST_FAULT=enospc:REGEX:N          from the Nth write to a file whose name matches
//                                               REGEX on, every such write fails with ENOSPC
import fs from 'node:fs';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const fault = process.env.BC_SPEND_TEST_FAULT ?? '';
const promises = fs.promises;

if (fault.startsWith('kill-at-rename:')) {
  const name = fault.slice('kill-at-rename:'.length);
  const rename = promises.rename;
  promises.rename = async (from, to) => {
    if (basename(String(to)) === name) process.kill(process.pid, 'SIGKILL');
    return rename(from, to);
  };
} else if (fault.startsWith('enospc:')) {
  const [, pattern, nth] = fault.split(':');
  const match = new RegExp(pattern);
  let writes = 0;
  const pathOf = new WeakMap();
  const open = promises.open;
  promises.open = async (path, ...rest) => {
    const fh = await open(path, ...rest);
    pathOf.set(fh, String(path));
    return fh;
  };
  const probe = await open('/dev/null', 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  const write = proto.write;
  proto.write = async function (...args) {
    if (match.test(basename(pathOf.get(this) ?? '')) && ++writes >= Number(nth)) {
      const e = new Error(`ENOSPC: no space left on device, write`);
      e.code = 'ENOSPC';
      e.errno = -28;
      e.syscall = 'write';
      throw e;
    }
    return write.apply(this, args);
  };
}
syncBuiltinESMExports();
