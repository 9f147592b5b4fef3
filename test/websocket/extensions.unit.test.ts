// What the upstream's 101 agreed to: permessage-deflate and its parameters, nothing, or something the reader
// cannot follow (another extension, or parameters RFC 7692 does not allow in a response).
import t from 'tap';
import { negotiatedExtensions } from '../../src/websocket/extensions';

const defaults = { serverNoContextTakeover: false, serverMaxWindowBits: 15, clientNoContextTakeover: false, clientMaxWindowBits: 15 };

t.test('none', async (t) => {
  for (const header of [undefined, '', '  ', []]) t.same(negotiatedExtensions(header), { deflate: undefined }, JSON.stringify(header));
});

t.test('permessage-deflate and its parameters', async (t) => {
  t.same(negotiatedExtensions('permessage-deflate'), { deflate: defaults });
  t.same(negotiatedExtensions('permessage-deflate; client_max_window_bits=10'), { deflate: { ...defaults, clientMaxWindowBits: 10 } });
  t.same(negotiatedExtensions('Permessage-Deflate ; Server_No_Context_Takeover; server_max_window_bits="12"; client_no_context_takeover'), {
    deflate: { ...defaults, serverNoContextTakeover: true, serverMaxWindowBits: 12, clientNoContextTakeover: true },
  });
  t.same(negotiatedExtensions(['permessage-deflate; server_max_window_bits=8']), { deflate: { ...defaults, serverMaxWindowBits: 8 } });
});

t.test('what the reader cannot follow', async (t) => {
  t.same(negotiatedExtensions('x-webkit-deflate-frame'), { unreadable: 'unknown_extension' });
  t.same(negotiatedExtensions('permessage-deflate, x-custom'), { unreadable: 'unknown_extension' });
  for (const bad of [
    'permessage-deflate, permessage-deflate',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; mystery=1',
  ]) {
    t.same(negotiatedExtensions(bad), { unreadable: 'bad_extension_params' }, bad);
  }
});
