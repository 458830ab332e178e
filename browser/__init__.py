"""Book chapter "Serverless Chrome puppeteer": scraper, screenshots, PDFs, social cards."""
