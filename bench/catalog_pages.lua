-- wrk script: the product list across 2,000 distinct pages, so most requests miss the cache at first.
math.randomseed(42)
request = function()
  return wrk.format("GET", "/products/?page_size=10&page=" .. math.random(1, 2000))
end
