import t from 'tap';
import { describeRequest } from '../../src/usage/request';

t.test('the request side: model and stream flag', async (t) => {
  const whole = describeRequest('application/json', Buffer.from('{"model":"gpt-4.1","stream":true,"messages":[]}'));
  t.same(whole, { model: 'gpt-4.1', stream: true, json: { model: 'gpt-4.1', stream: true, messages: [] } }, 'a whole JSON body comes with its parsed object');
  t.match(describeRequest('application/json', Buffer.from('{"messages":[{"content":"\\"model\\":\\"x\\""}],"model":"m"}')), { model: 'm', stream: false });
  t.same(describeRequest('application/json', Buffer.from('{"model":')), { model: undefined, stream: false }, 'a partial first chunk of a large body');
  t.same(describeRequest('application/json', Buffer.from('{"model":"gpt-4o","input":"aaaa')), { model: 'gpt-4o', stream: false });
  const form =
    '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--b\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n--b--\r\n';
  t.same(describeRequest('multipart/form-data; boundary=b', Buffer.from(form)), { model: 'whisper-1', stream: true });
  t.same(describeRequest(undefined, undefined), { stream: false });
});
