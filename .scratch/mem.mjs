// synthesize a 120k-series bucket response like Prometheus'
const parts = [];
for (let i = 0; i < 10000; i++) for (const le of ['0.005','0.01','0.025','0.05','0.1','0.25','0.5','1','2.5','5','10','+Inf'])
  parts.push(`{"metric":{"function_name":"f${String(i).padStart(5,'0')}.openfaas-fn","le":"${le}"},"value":[1796625072.123,"${(Math.random()*1000).toFixed(3)}"]}`);
let text = `{"status":"success","data":{"resultType":"vector","result":[${parts.join(',')}]}}`;
parts.length = 0;
gc();
const h0 = process.memoryUsage().heapUsed;
console.log('text MB', (text.length/1e6).toFixed(1), 'heap with text', ((h0)/2**20).toFixed(0));
let t0 = performance.now();
const body = JSON.parse(text);
console.log('parse ms', (performance.now()-t0).toFixed(0));
gc();
const h1 = process.memoryUsage().heapUsed;
console.log('parsed tree MB', ((h1-h0)/2**20).toFixed(0));
t0 = performance.now();
const samples = body.data.result.map((e) => ({ labels: e.metric, value: Number(e.value[1]) }));
console.log('map ms', (performance.now()-t0).toFixed(0));
gc();
console.log('plus samples MB', ((process.memoryUsage().heapUsed-h1)/2**20).toFixed(0));
