-- wrk script: the same POST as `cloudlake-bench post` sends by default (a batch_send to 10
-- groups), for the cross-check of the harness against wrk on the bare baseline:
--   wrk -t1 -c64 -d10s -s crates/bench/wrk/batch_send.lua \
--     'http://127.0.0.1:18090/open-apis/v1/bot/batch_send?token=x'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"content":{"buttons":[[{"actionType":3,"text":"ok","value":"v"}]],"text":"bench message"},"contentType":"text","recvIds":["100001","100002","100003","100004","100005","100006","100007","100008","100009","100010"],"recvType":"group"}'
